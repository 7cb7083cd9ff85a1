/* cache.c -- answers of the list endpoints (detections, events) kept by
 * (route, query string, store generation).
 *
 * Design: the lists serve committed rows only, and the store's generation
 * changes with every commit and retention pass, so an answer computed at
 * generation g is exact for as long as the generation stays g: no expiry
 * time, no invalidation calls. Dashboards polling the same page cost one
 * query per commit instead of one per request. The generation is read
 * before the query, so a cached answer is never older than its key. A
 * small ring of entries; the oldest is replaced. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define KEY_MAX 1024
#define BODY_MAX (512 * 1024) /* bigger pages (1000 events) are not kept: memory <= 16 MiB */

struct vd_api_cache_entry {
    int route;
    uint64_t gen;
    char key[KEY_MAX];
    char *body;
    size_t n;
};

typedef struct key_buf {
    char *p;
    size_t n, cap;
    int overflow;
} key_buf;

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
    (void)kind;
    key_buf *b = cls;
    size_t nk = strlen(k), nv = v ? strlen(v) : 0;
    if (b->n + nk + nv + 3 > b->cap) {
        b->overflow = 1;
        return MHD_NO;
    }
    memcpy(b->p + b->n, k, nk);
    b->n += nk;
    b->p[b->n++] = '=';
    memcpy(b->p + b->n, v ? v : "", nv);
    b->n += nv;
    b->p[b->n++] = '&';
    b->p[b->n] = '\0';
    return MHD_YES;
}

/* The query string as the key; 0 when it is too long to cache. */
static int make_key(vd_req *r, char *key)
{
    key_buf b = {key, 0, KEY_MAX, 0};
    key[0] = '\0';
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    return !b.overflow;
}

int vd_api_cache_reply(vd_req *r, uint64_t gen, enum MHD_Result *ret)
{
    char key[KEY_MAX];
    if (!make_key(r, key))
        return 0;
    for (int i = 0; i < VD_API_CACHE_N; i++) {
        struct vd_api_cache_entry *e = r->srv->cache[i];
        if (e && e->gen == gen && e->route == r->route_index && !strcmp(e->key, key)) {
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(e->n, e->body, MHD_RESPMEM_MUST_COPY);
            *ret = vd_api_queue(r, 200, resp, "application/json");
            r->srv->cache_hits++;
            return 1;
        }
    }
    return 0;
}

void vd_api_cache_put(vd_req *r, uint64_t gen, const char *body, size_t n)
{
    if (n > BODY_MAX)
        return;
    struct vd_api_cache_entry *e = malloc(sizeof *e);
    if (!e || !make_key(r, e->key) || !(e->body = malloc(n))) {
        free(e);
        return;
    }
    e->route = r->route_index;
    e->gen = gen;
    memcpy(e->body, body, n);
    e->n = n;
    vd_server *s = r->srv;
    int slot = s->cache_next++ % VD_API_CACHE_N;
    vd_api_cache_free(&s->cache[slot]);
    s->cache[slot] = e;
}

void vd_api_cache_free(struct vd_api_cache_entry **e)
{
    if (*e) {
        free((*e)->body);
        free(*e);
        *e = NULL;
    }
}
