-- wrk_post.lua - POST /tts. With UNIQUE=1 in the environment every request
-- has its own text (a cache miss each time); otherwise one cached text.
-- MODEL picks the engine (espeak unless set); VOXCAT_TOKEN is the bearer
-- token speech needs.
local unique = os.getenv("UNIQUE") == "1"
local model = os.getenv("MODEL") or "espeak"
local auth = "Bearer " .. (os.getenv("VOXCAT_TOKEN") or "")
local run = os.getenv("RUN_ID") or tostring(os.time())
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
        text = string.format("%s %d %d number %d: %s", run, tid or 0, counter, counter, text)
    end
    local body = '{"text":"' .. text .. '","voice":"Kore","model":"' .. model .. '"}'
    return wrk.format("POST", "/tts", { ["Content-Type"] = "application/json",
                                        ["Authorization"] = auth }, body)
end
