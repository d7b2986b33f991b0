/* test_wav.c - WAV headers written exactly and parsed with distrust, and
 * the PCM buffer: append, silence, s16le, resampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vc_pcm.h"
#include "vc_wav.h"

static unsigned get32(const unsigned char *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((unsigned)p[3] << 24);
}

static void put32(unsigned char *p, unsigned v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int main(void)
{
    static const unsigned char expected[44] = {
        'R', 'I', 'F', 'F', 0x2c, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ',
        16, 0, 0, 0, 1, 0, 1, 0, 0xc0, 0x5d, 0, 0, 0x80, 0xbb, 0, 0,
        2, 0, 16, 0, 'd', 'a', 't', 'a', 8, 0, 0, 0,
    };
    unsigned char hdr[VC_WAV_HEADER_SIZE];
    struct vc_pcm pcm;
    struct vc_wav_info info;
    struct vc_error err;
    unsigned char *wav = NULL, *buf;
    size_t len = 0;
    int rejected = 0;

    vc_wav_header(hdr, 8, 24000, 1, 16);
    ok(memcmp(hdr, expected, 44) == 0, "the header for 8 bytes at 24 kHz mono 16-bit is exact");

    vc_pcm_init(&pcm, 24000);
    for (int i = 0; i < 2400; i++) {
        int16_t s = (int16_t)(10000 * sin(2 * M_PI * 440 * i / 24000.0));
        if (vc_pcm_append(&pcm, &s, 1, &err) != VC_OK)
            break;
    }
    ok(pcm.len == 2400, "append grows the buffer");
    ok(vc_wav_encode(&pcm, &wav, &len, &err) == VC_OK && len == 44 + 4800, "encode: header + samples");
    ok(get32(wav + 4) == len - 8 && get32(wav + 40) == len - 44, "RIFF and data sizes match the file");
    ok(vc_wav_parse(wav, len, &info, &err) == VC_OK && info.rate == 24000 && info.channels == 1
       && info.bits == 16 && info.data_bytes == 4800 && fabs(info.duration - 0.1) < 1e-9,
       "encode -> parse round-trips");
    ok((int16_t)(wav[44 + 2 * 100] | (wav[45 + 2 * 100] << 8)) == pcm.samples[100],
       "samples are little-endian");

    for (size_t cut = 0; cut < 44; cut++)
        rejected += vc_wav_parse(wav, cut, &info, &err) != VC_OK;
    ok(rejected == 44, "every truncation inside the header is refused");
    ok(vc_wav_parse(wav, len - 1, &info, &err) != VC_OK, "a file one byte short of its header is refused");

    buf = malloc(len + 64);
    memcpy(buf, wav, len);
    put32(buf + 4, (unsigned)len + 1000);
    ok(vc_wav_parse(buf, len, &info, &err) == VC_ERR_INVALID_ARGUMENT && strcmp(err.field, "audio") == 0,
       "a RIFF size past the end is refused, naming the audio");
    memcpy(buf, wav, len);
    put32(buf + 40, 1u << 30);
    ok(vc_wav_parse(buf, len, &info, &err) != VC_OK, "a data size past the end is refused");
    memcpy(buf, wav, len);
    buf[32] = 4;
    ok(vc_wav_parse(buf, len, &info, &err) != VC_OK, "a block alignment that does not match is refused");
    memcpy(buf, wav, len);
    buf[20] = 3;
    ok(vc_wav_parse(buf, len, &info, &err) != VC_OK, "a format other than PCM is refused");
    memcpy(buf, wav, len);
    buf[22] = 0;
    ok(vc_wav_parse(buf, len, &info, &err) != VC_OK, "zero channels are refused");
    memcpy(buf, "RIFX", 4);
    ok(vc_wav_parse(buf, len, &info, &err) != VC_OK, "not RIFF is refused");

    /* An odd-sized LIST chunk between fmt and data is skipped with its pad byte. */
    memcpy(buf, wav, 36);
    memcpy(buf + 36, "LIST", 4);
    put32(buf + 40, 3);
    memcpy(buf + 44, "abc", 3);
    buf[47] = 0;
    memcpy(buf + 48, wav + 36, len - 36);
    put32(buf + 4, (unsigned)(len + 12 - 8));
    ok(vc_wav_parse(buf, len + 12, &info, &err) == VC_OK && info.data_offset == 56
       && info.data_bytes == 4800, "an unknown odd-sized chunk is skipped with its padding");
    free(buf);
    free(wav);

    {
        const unsigned char le[5] = { 0x01, 0x02, 0xff, 0xff, 0x07 };
        size_t before = pcm.len;
        ok(vc_pcm_append_s16le(&pcm, le, 4, &err) == VC_OK && pcm.samples[before] == 0x0201
           && pcm.samples[before + 1] == -1, "s16le bytes become samples");
        ok(vc_pcm_append_s16le(&pcm, le, 5, &err) != VC_OK, "an odd number of PCM bytes is refused");
        before = pcm.len;
        ok(vc_pcm_append_silence(&pcm, 250, &err) == VC_OK && pcm.len == before + 6000
           && pcm.samples[before + 10] == 0, "250 ms of silence at 24 kHz is 6000 zero samples");
    }
    vc_pcm_free(&pcm);

    {
        struct vc_pcm in;
        int crossings = 0;
        double peak = 0;

        vc_pcm_init(&in, 22050);
        for (int i = 0; i < 22050; i++) {
            int16_t s = (int16_t)(12000 * sin(2 * M_PI * 440 * i / 22050.0));
            if (vc_pcm_append(&in, &s, 1, &err) != VC_OK)
                break;
        }
        ok(vc_pcm_resample(&in, 24000, &err) == VC_OK && in.rate == 24000, "resample 22050 -> 24000");
        ok(labs((long)in.len - 24000) <= 2, "one second stays one second (%zu samples)", in.len);
        for (size_t i = 1000; i + 1 < in.len - 1000; i++) {
            crossings += (in.samples[i] < 0) != (in.samples[i + 1] < 0);
            if (abs(in.samples[i]) > peak)
                peak = abs(in.samples[i]);
        }
        /* 440 Hz crosses zero 880 times a second; 22000 samples here. */
        ok(abs(crossings - (int)(880 * 22000 / 24000.0)) <= 4, "the pitch is kept (%d crossings)", crossings);
        ok(peak > 11000 && peak < 13000, "the amplitude is kept (peak %.0f)", peak);
        vc_pcm_free(&in);
    }
    return done_testing();
}
