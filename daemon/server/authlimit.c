/* authlimit.c -- failed tokens counted per client address: after
 * max_auth_failures 401s within auth_window seconds, that address gets 429
 * with Retry-After on every endpoint that needs the token until its window
 * ends; other addresses are not affected.
 *
 * Design: a fixed table of VD_API_AUTH_SLOTS addresses (the oldest window
 * is replaced when it is full), so a flood of addresses costs no memory and
 * a slow attacker among them is forgotten at worst, never a legitimate
 * client blocked. A window starts at an address's first failure and is
 * not extended by later ones, so a blocked client knows when to retry. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"

/* The client address as bytes (IPv4-mapped IPv6 folded to IPv4). */
static size_t client_key(struct MHD_Connection *c, unsigned char key[16])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        int v4 = !memcmp(a, mapped, 12);
        memcpy(key, v4 ? a + 12 : a, v4 ? 4 : 16);
        return v4 ? 4 : 16;
    }
    return 0;
}

static vd_api_auth_slot *find(vd_server *s, struct MHD_Connection *c, double now, int add)
{
    unsigned char key[16];
    size_t n = client_key(c, key);
    vd_api_auth_slot *oldest = &s->auth[0];
    for (int i = 0; i < VD_API_AUTH_SLOTS; i++) {
        vd_api_auth_slot *a = &s->auth[i];
        if (a->n && now - a->start >= s->o.auth_window)
            a->n = 0; /* window over */
        if (a->n && a->key_len == n && !memcmp(a->key, key, n))
            return a;
        if ((!a->n && oldest->n) || (!a->n == !oldest->n && a->start < oldest->start))
            oldest = a;
    }
    if (!add)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    memcpy(oldest->key, key, n);
    oldest->key_len = n;
    oldest->start = now;
    return oldest;
}

int vd_api_auth_blocked(vd_req *r)
{
    vd_server *s = r->srv;
    double now = vd_api_uptime(s);
    vd_api_auth_slot *a = s->token_len ? find(s, r->conn, now, 0) : NULL;
    if (!a || a->n < s->o.max_auth_failures)
        return 0;
    r->retry_after = (int)(a->start + s->o.auth_window - now) + 1;
    s->auth_refused++;
    return 1;
}

void vd_api_auth_failed(vd_req *r)
{
    vd_api_auth_slot *a = find(r->srv, r->conn, vd_api_uptime(r->srv), 1);
    a->n++;
}
