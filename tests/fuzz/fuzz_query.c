/* fuzz_query.c - libFuzzer: a query string through the request's parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vc_param params[VC_MAX_PARAMS];
    char *q = malloc(size + 1);
    size_t n = 0;

    if (q == NULL)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    vc_query_parse(q, params, VC_MAX_PARAMS, &n);
    for (size_t i = 0; i < n; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    free(q);
    return 0;
}
