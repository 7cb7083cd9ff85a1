/* zone.c -- zones: named polygons in normalised frame coordinates, and
 * which of them each detection stands in (see detect.h for the rule).
 *
 * The design choice: a detection stands at the bottom-centre of its box and
 * the point-in-polygon test is the crossing-number rule with half-open
 * edges, so zones that share an edge never both claim a point on it. */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int vd_zone_parse(vd_zone *z, const char *spec, vd_error *err)
{
    memset(z, 0, sizeof *z);
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || colon - spec >= VD_DET_NAME_MAX)
        return vd_error_set(err, VD_EINVAL,
                            "zone '%s': expected NAME:x1,y1,x2,y2,x3,y3[,...]", spec);
    memcpy(z->name, spec, (size_t)(colon - spec));
    const char *p = colon + 1;
    float v[2 * VD_ZONE_MAX_POINTS];
    int n = 0;
    while (*p) {
        char *end;
        float f = strtof(p, &end);
        if (end == p || (*end && *end != ',') || !isfinite(f) || f < 0 || f > 1)
            return vd_error_set(err, VD_EINVAL,
                                "zone '%s': coordinate %d is not a number in [0,1]", spec, n + 1);
        if (n == 2 * VD_ZONE_MAX_POINTS)
            return vd_error_set(err, VD_EINVAL, "zone '%s': more than %d points", spec,
                                VD_ZONE_MAX_POINTS);
        v[n++] = f;
        p = *end ? end + 1 : end;
    }
    if (n % 2 || n < 6)
        return vd_error_set(err, VD_EINVAL,
                            "zone '%s': need at least 3 x,y pairs (got %d numbers)", spec, n);
    z->n = n / 2;
    for (int i = 0; i < z->n; i++) {
        z->pts[i][0] = v[2 * i];
        z->pts[i][1] = v[2 * i + 1];
    }
    return VD_OK;
}

int vd_zone_contains(const vd_zone *z, float x, float y)
{
    int in = 0;
    for (int i = 0, j = z->n - 1; i < z->n; j = i++) {
        float xi = z->pts[i][0], yi = z->pts[i][1];
        float xj = z->pts[j][0], yj = z->pts[j][1];
        /* half-open in y: an edge covers [min y, max y) */
        if ((yi > y) != (yj > y)) {
            float xc = xi + (y - yi) * (xj - xi) / (yj - yi);
            if (x < xc)
                in = !in;
        }
    }
    return in;
}

void vd_zones_mark(const vd_zone *zones, int n, int src_w, int src_h, vd_det_list *l)
{
    for (int i = 0; i < l->count; i++) {
        vd_detection *x = &l->items[i];
        float px = (x->box[0] + x->box[2]) * 0.5f / (float)src_w;
        float py = x->box[3] / (float)src_h;
        x->zones = 0;
        for (int z = 0; z < n && z < VD_DET_MAX_ZONES; z++)
            if (vd_zone_contains(&zones[z], px, py))
                x->zones |= 1u << z;
    }
}
