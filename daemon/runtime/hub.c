/* hub.c -- the one fan-out point for live push: every detection and every
 * event change is offered here once, as the same JSON object the REST API
 * returns, and each subscriber (an SSE client today, MQTT later) gets the
 * compact text. LOOP thread only, so no locks; a subscriber's callback must
 * not block (SSE buffers it with a bound and drops slow clients).
 *
 * Subscribers may unsubscribe from inside a callback: removal only marks
 * the entry, and the array is compacted when no publish is running. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt.h"

typedef struct sub {
    uint64_t handle;
    char *stream;            /* NULL: all */
    vd_hub_fn fn;
    void *ud;
} sub;

struct rt_hub {
    sub *subs;
    int n, cap;
    uint64_t next;
    int publishing, dead;
};

int rt_hub_create(rt_hub **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return VD_ENOMEM;
    (*out)->next = 1;
    return VD_OK;
}

void rt_hub_free(rt_hub **ph)
{
    rt_hub *h = *ph;
    if (!h)
        return;
    for (int i = 0; i < h->n; i++)
        free(h->subs[i].stream);
    free(h->subs);
    free(h);
    *ph = NULL;
}

int rt_hub_subscribe(rt_hub *h, const char *stream, vd_hub_fn fn, void *ud, uint64_t *handle)
{
    if (rt_grow((void **)&h->subs, &h->cap, h->n, sizeof *h->subs))
        return VD_ENOMEM;
    sub s = {h->next++, stream ? strdup(stream) : NULL, fn, ud};
    if (stream && !s.stream)
        return VD_ENOMEM;
    h->subs[h->n++] = s;
    *handle = s.handle;
    return VD_OK;
}

static void compact(rt_hub *h)
{
    int k = 0;
    for (int i = 0; i < h->n; i++)
        if (h->subs[i].fn)
            h->subs[k++] = h->subs[i];
        else
            free(h->subs[i].stream);
    h->n = k;
    h->dead = 0;
}

void rt_hub_unsubscribe(rt_hub *h, uint64_t handle)
{
    for (int i = 0; i < h->n; i++)
        if (h->subs[i].handle == handle) {
            h->subs[i].fn = NULL;
            h->dead = 1;
        }
    if (!h->publishing)
        compact(h);
}

static int matches(const sub *s, const char *stream)
{
    return s->fn && (!s->stream || !strcmp(s->stream, stream));
}

int rt_hub_wanted(const rt_hub *h, const char *stream)
{
    for (int i = 0; i < h->n; i++)
        if (matches(&h->subs[i], stream))
            return 1;
    return 0;
}

void rt_hub_publish(rt_hub *h, vd_hub_kind kind, const char *stream, json_t *obj)
{
    if (!obj)
        return;
    char *text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(obj);
    if (!text)
        return;
    size_t len = strlen(text);
    h->publishing++;
    for (int i = 0; i < h->n; i++) /* n may grow: a callback may subscribe */
        if (matches(&h->subs[i], stream))
            h->subs[i].fn(kind, stream, text, len, h->subs[i].ud);
    h->publishing--;
    if (!h->publishing && h->dead)
        compact(h);
    free(text);
}
