/* fuzz_router.c - libFuzzer: "METHOD\npath" through the route table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), *nl;
    char allow[VC_ALLOW_MAX];
    const struct vc_route *r;
    struct vc_request req;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    nl = strchr(copy, '\n');
    memset(&req, 0, sizeof(req));
    req.method = copy;
    req.path = strdup(nl ? nl + 1 : "/");
    if (nl)
        *nl = '\0';
    if (req.path != NULL)
        vc_route_find(&req, &r, allow);
    free(req.path);
    free(req.capture_buf);
    free(copy);
    return 0;
}
