-- wrk_search.lua - GET /search over a fixed mix of words (common and rare,
-- whole words and prefixes), in order, the same mix bench/catalog.sh gives
-- pgbench.
local words = {}
for w in string.gmatch(os.getenv("WORDS") or "love", "%S+") do
    table.insert(words, w)
end
local i = 0

function request()
    i = i % #words + 1
    return wrk.format("GET", "/search?q=" .. words[i])
end
