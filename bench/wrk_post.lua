-- wrk_post.lua - POST /tts. With UNIQUE=1 in the environment every request
-- has its own text (a cache miss each time); otherwise one cached text.
-- MODEL picks the engine (espeak unless set); VOXCAT_TOKEN is the bearer
-- token speech needs; POST_PATH sends the same body elsewhere (the ceiling).
local unique = os.getenv("UNIQUE") == "1"
local model = os.getenv("MODEL") or "espeak"
local auth = "Bearer " .. (os.getenv("VOXCAT_TOKEN") or "")
-- Unique texts are "<RUN_WORD> number <k>: the quick brown fox...", k
-- counting over all THREADS threads: bench/espeak_ref.c and flite_ref.c
-- speak exactly these texts, so both sides say the same words.
local word = os.getenv("RUN_WORD") or "alpha"
local nthreads = tonumber(os.getenv("THREADS") or "2")
local path = os.getenv("POST_PATH") or "/tts"
local counter = 0
local thread_id = 0

function setup(thread)
    thread_id = thread_id + 1
    thread:set("tid", thread_id)
end

function request()
    local text = "the quick brown fox jumps over the lazy dog"
    if unique then
        counter = counter + 1
        text = string.format("%s number %d: %s", word, (counter - 1) * nthreads + (tid or 1) - 1, text)
    end
    local body = '{"text":"' .. text .. '","voice":"Kore","model":"' .. model .. '"}'
    return wrk.format("POST", path, { ["Content-Type"] = "application/json",
                                        ["Authorization"] = auth }, body)
end
