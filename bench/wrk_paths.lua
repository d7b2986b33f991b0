-- wrk_paths.lua - GET each path in turn: those of $PATHS (separated by
-- spaces), or one a line from the file $PATHS_FILE. Each thread starts at
-- its own place in the list, so no two ask the same thing at once.
local paths = {}
local file = os.getenv("PATHS_FILE")
if file then
    for line in io.lines(file) do
        if line ~= "" then table.insert(paths, line) end
    end
else
    for p in string.gmatch(os.getenv("PATHS") or "/search", "%S+") do
        table.insert(paths, p)
    end
end
local threads = 0
local i = 0

function setup(thread)
    thread:set("start", threads)
    threads = threads + 1
end

function init(args)
    i = (start or 0) * math.floor(#paths / 2)
end

function request()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
