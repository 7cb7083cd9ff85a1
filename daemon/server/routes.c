/* routes.c -- the API's one routing table: method + path pattern ->
 * handler and what the core checks before calling it.
 *
 * Design: a flat table scanned in order, with "{}" standing for one path
 * segment. Thirty routes do not need a trie, and one table is what a
 * reader (and the 405 Allow header, and docs/api.md) can check at a
 * glance. */
#include <stdio.h>
#include <string.h>

#include "api.h"

#define JSON VD_ROUTE_BODY_JSON
#define PUBLIC VD_ROUTE_PUBLIC
#define DEEPSTACK (VD_ROUTE_BODY_FORM | VD_ROUTE_DEEPSTACK)

const vd_route vd_api_routes[] = {
    {"GET", "/api/v1/health", vd_api_health, PUBLIC},
    {"GET", "/api/v1/streams", vd_api_streams_list, 0},
    {"POST", "/api/v1/streams", vd_api_streams_create, JSON},
    {"GET", "/api/v1/streams/{}", vd_api_streams_get, 0},
    {"PATCH", "/api/v1/streams/{}", vd_api_streams_patch, JSON},
    {"DELETE", "/api/v1/streams/{}", vd_api_streams_delete, 0},
    {"GET", "/api/v1/streams/{}/snapshot.jpg", vd_api_streams_snapshot, 0},
    {"GET", "/api/v1/detections", vd_api_detections_list, 0},
    {"GET", "/api/v1/events", vd_api_events_list, 0},
    {"GET", "/api/v1/events/{}", vd_api_events_get, 0},
    {"GET", "/api/v1/events/{}/snapshot.jpg", vd_api_events_snapshot, 0},
    {"GET", "/api/v1/live", vd_api_live, 0},
    {"POST", "/api/v1/detect", vd_api_detect, VD_ROUTE_BODY_IMAGE},
    {"GET", "/api/v1/models", vd_api_models, 0},
    {"GET", "/api/v1/stats", vd_api_stats_get, 0},
    {"GET", "/metrics", vd_api_metrics, 0},
    {"POST", "/v1/vision/detection", vd_api_deepstack_detection, DEEPSTACK},
    {"POST", "/v1/vision/custom/{}", vd_api_deepstack_custom, DEEPSTACK},
};
const int vd_api_n_routes = (int)(sizeof vd_api_routes / sizeof vd_api_routes[0]);

/* Match one pattern; captured segments go to params. */
static int match(const char *pat, const char *path, char params[2][VD_API_PARAM_MAX])
{
    int np = 0;
    while (*pat && *path) {
        if (pat[0] == '{' && pat[1] == '}') {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= VD_API_PARAM_MAX || np == 2)
                return 0;
            memcpy(params[np], path, n);
            params[np++][n] = '\0';
            path += n;
            pat += 2;
        } else if (*pat++ != *path++) {
            return 0;
        }
    }
    return *pat == '\0' && *path == '\0';
}

const vd_route *vd_api_route_match(const char *method, const char *path,
                                   char params[2][VD_API_PARAM_MAX], int *path_known,
                                   char *allow, size_t allow_n)
{
    const vd_route *found = NULL;
    size_t used = 0;
    *path_known = 0;
    if (allow_n)
        allow[0] = '\0';
    for (int i = 0; i < vd_api_n_routes; i++) {
        const vd_route *rt = &vd_api_routes[i];
        char p[2][VD_API_PARAM_MAX];
        if (!match(rt->pattern, path, p))
            continue;
        *path_known = 1;
        if (used < allow_n)
            used += (size_t)snprintf(allow + used, allow_n - used, "%s%s", used ? ", " : "",
                                     rt->method);
        /* HEAD is GET without the body (MHD drops it). */
        int same = !strcmp(rt->method, method) ||
                   (!strcmp(method, "HEAD") && !strcmp(rt->method, "GET"));
        if (!found && same) {
            found = rt;
            memcpy(params, p, sizeof p);
        }
    }
    return found;
}
