/* fuzz_import_line.c - libFuzzer: one line of `voxcat import` through the
 * column checks into a COPY row. */
#include <stdint.h>
#include <stdlib.h>

#include "vc_jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vc_buf row = { NULL, 0, 0 };
    struct vc_error err;

    vc_error_clear(&err);
    (void)vc_jsonl_line((const char *)data, size, 1, &row, &err);
    free(row.data);
    return 0;
}
