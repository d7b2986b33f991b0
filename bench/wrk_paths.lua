-- wrk_paths.lua - GET each path of $PATHS (separated by spaces) in turn:
-- the fixed search set of bench/search.sh under concurrency.
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/search", "%S+") do
    table.insert(paths, p)
end
local i = 0

function request()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
