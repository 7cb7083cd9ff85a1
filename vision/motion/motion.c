/* motion.c -- running-average background subtraction on a small luma grid,
 * closing, and connected components by union-find. See motion.h. The grid
 * is tiny (160 x ~120), so every pass is a plain loop over it; only the
 * box-average from the source frame touches full-resolution pixels. */
#include "motion.h"

#include <stdlib.h>
#include <string.h>

struct vd_motion {
    vd_motion_opts o;
    int src_w, src_h;  /* size the background belongs to; 0: none yet */
    int gw, gh;
    float *bg;         /* gw*gh background */
    uint8_t *gray;     /* gw*gh current grid */
    uint8_t *mask, *tmp;
    int *parent;       /* union-find over cells */
    vd_motion_stats st;
};

static int defaults(vd_motion_opts *o, const vd_motion_opts *in, vd_error *err)
{
    memset(o, 0, sizeof *o);
    if (in)
        *o = *in;
    if (o->width <= 0)
        o->width = 160;
    if (o->alpha <= 0)
        o->alpha = 0.2f;
    if (o->threshold <= 0)
        o->threshold = 20;
    o->dilate = o->dilate == 0 ? 2 : o->dilate < 0 ? 0 : o->dilate;
    o->erode = o->erode == 0 ? 1 : o->erode < 0 ? 0 : o->erode;
    if (o->min_area <= 0)
        o->min_area = 0.001f;
    if (o->max_changed <= 0)
        o->max_changed = 0.5f;
    if (o->alpha > 1 || o->threshold > 255 || o->min_area > 1 || o->max_changed > 1 ||
        o->width > 4096)
        return vd_error_set(err, VD_EINVAL,
                            "motion: alpha %g (<= 1), threshold %d (<= 255), min_area %g (<= 1), "
                            "max_changed %g (<= 1), width %d (<= 4096)",
                            o->alpha, o->threshold, o->min_area, o->max_changed, o->width);
    return VD_OK;
}

int vd_motion_create(vd_motion **out, const vd_motion_opts *opts, vd_error *err)
{
    *out = NULL;
    vd_motion *m = calloc(1, sizeof *m);
    if (!m)
        return vd_error_set(err, VD_ENOMEM, "motion: out of memory");
    int rc = defaults(&m->o, opts, err);
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    return VD_OK;
}

static void free_grid(vd_motion *m)
{
    free(m->bg);
    free(m->gray);
    free(m->mask);
    free(m->tmp);
    free(m->parent);
    m->bg = NULL;
    m->gray = m->mask = m->tmp = NULL;
    m->parent = NULL;
}

void vd_motion_free(vd_motion **pm)
{
    if (!*pm)
        return;
    free_grid(*pm);
    free(*pm);
    *pm = NULL;
}

void vd_motion_reset(vd_motion *m) { m->src_w = m->src_h = 0; }

void vd_motion_stats_get(const vd_motion *m, vd_motion_stats *out) { *out = m->st; }

static int alloc_grid(vd_motion *m, int w, int h, vd_error *err)
{
    free_grid(m);
    m->gw = m->o.width < w ? m->o.width : w;
    m->gh = (int)((int64_t)h * m->gw / w);
    if (m->gh < 1)
        m->gh = 1;
    size_t n = (size_t)m->gw * (size_t)m->gh;
    m->bg = malloc(n * sizeof *m->bg);
    m->gray = malloc(n);
    m->mask = malloc(n);
    m->tmp = malloc(n);
    m->parent = malloc(n * sizeof *m->parent);
    if (!m->bg || !m->gray || !m->mask || !m->tmp || !m->parent)
        return vd_error_set(err, VD_ENOMEM, "motion: out of memory");
    return VD_OK;
}

/* Box-average luma of the source into the grid: cell (x,y) covers source
 * columns [x*w/gw, (x+1)*w/gw) and the same for rows. */
static void downscale(vd_motion *m, const uint8_t *data, int w, int h, int ls, int ch)
{
    for (int gy = 0; gy < m->gh; gy++) {
        int y0 = (int)((int64_t)gy * h / m->gh), y1 = (int)((int64_t)(gy + 1) * h / m->gh);
        for (int gx = 0; gx < m->gw; gx++) {
            int x0 = (int)((int64_t)gx * w / m->gw), x1 = (int)((int64_t)(gx + 1) * w / m->gw);
            uint32_t sum = 0;
            for (int y = y0; y < y1; y++) {
                const uint8_t *p = data + (size_t)y * (size_t)ls + (size_t)x0 * (size_t)ch;
                for (int x = x0; x < x1; x++, p += ch)
                    sum += ch >= 3 ? (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8 : p[0];
            }
            uint32_t n = (uint32_t)((y1 - y0) * (x1 - x0));
            m->gray[gy * m->gw + gx] = (uint8_t)(n ? (sum + n / 2) / n : 0);
        }
    }
}

/* One 3x3 pass: dilate (any neighbour set) or erode (all neighbours set;
 * cells outside the grid count as set so borders do not erode). */
static void morph(vd_motion *m, int dilate)
{
    int w = m->gw, h = m->gh;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int any = 0, all = 1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy, xx = x + dx;
                    int v = yy < 0 || yy >= h || xx < 0 || xx >= w ? !dilate
                                                                   : m->mask[yy * w + xx];
                    any |= v;
                    all &= v;
                }
            m->tmp[y * w + x] = (uint8_t)(dilate ? any : all);
        }
    memcpy(m->mask, m->tmp, (size_t)w * (size_t)h);
}

static int uf_find(int *p, int i)
{
    while (p[i] != i)
        i = p[i] = p[p[i]];
    return i;
}

static void uf_union(int *p, int a, int b)
{
    a = uf_find(p, a);
    b = uf_find(p, b);
    if (a != b)
        p[a > b ? a : b] = a < b ? a : b;
}

typedef struct comp {
    int n, x0, y0, x1, y1;
} comp;

/* Label 8-connected components; returns them through the roots. */
static void components(vd_motion *m)
{
    int w = m->gw, h = m->gh;
    for (int i = 0; i < w * h; i++)
        m->parent[i] = i;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int i = y * w + x;
            if (!m->mask[i])
                continue;
            if (x > 0 && m->mask[i - 1])
                uf_union(m->parent, i, i - 1);
            if (y > 0) {
                for (int dx = -1; dx <= 1; dx++)
                    if (x + dx >= 0 && x + dx < w && m->mask[i - w + dx])
                        uf_union(m->parent, i, i - w + dx);
            }
        }
}

static int emit_regions(vd_motion *m, vd_det_list *regions, vd_error *err)
{
    int w = m->gw, h = m->gh, n = w * h;
    comp *c = calloc((size_t)n, sizeof *c);
    if (!c)
        return vd_error_set(err, VD_ENOMEM, "motion: out of memory");
    for (int i = 0; i < n; i++) {
        if (!m->mask[i])
            continue;
        int r = uf_find(m->parent, i), x = i % w, y = i / w;
        comp *k = &c[r];
        if (!k->n) {
            k->x0 = k->x1 = x;
            k->y0 = k->y1 = y;
        }
        k->n++;
        k->x0 = x < k->x0 ? x : k->x0;
        k->x1 = x > k->x1 ? x : k->x1;
        k->y0 = y < k->y0 ? y : k->y0;
        k->y1 = y > k->y1 ? y : k->y1;
    }
    int rc = VD_OK;
    float sx = (float)m->src_w / (float)w, sy = (float)m->src_h / (float)h;
    for (int i = 0; i < n && !rc; i++) {
        comp *k = &c[i];
        if (!k->n || (float)k->n < m->o.min_area * (float)n)
            continue;
        vd_detection d;
        memset(&d, 0, sizeof d);
        d.label = -1;
        strcpy(d.name, "motion");
        int bw = k->x1 - k->x0 + 1, bh = k->y1 - k->y0 + 1;
        d.score = (float)k->n / (float)(bw * bh);
        d.box[0] = (float)k->x0 * sx;
        d.box[1] = (float)k->y0 * sy;
        d.box[2] = (float)(k->x1 + 1) * sx;
        d.box[3] = (float)(k->y1 + 1) * sy;
        rc = vd_det_list_push(regions, &d, err);
    }
    free(c);
    return rc;
}

/* Largest box first: the order a gate or a crop would use them in. */
static void sort_by_area(vd_det_list *l)
{
    for (int i = 1; i < l->count; i++) {
        vd_detection t = l->items[i];
        float a = (t.box[2] - t.box[0]) * (t.box[3] - t.box[1]);
        int j = i - 1;
        while (j >= 0 && (l->items[j].box[2] - l->items[j].box[0]) *
                                 (l->items[j].box[3] - l->items[j].box[1]) < a) {
            l->items[j + 1] = l->items[j];
            j--;
        }
        l->items[j + 1] = t;
    }
}

/* Difference against the background, then learn; returns changed cells. */
static int diff_and_learn(vd_motion *m)
{
    int n = m->gw * m->gh, changed = 0;
    float a = m->o.alpha, thr = (float)m->o.threshold;
    for (int i = 0; i < n; i++) {
        float g = m->gray[i], d = g - m->bg[i];
        int c = d > thr || d < -thr;
        m->mask[i] = (uint8_t)c;
        changed += c;
        m->bg[i] += a * d;
    }
    return changed;
}

int vd_motion_update(vd_motion *m, const uint8_t *data, int width, int height, int linesize,
                     int channels, vd_det_list *regions, vd_error *err)
{
    vd_det_list_clear(regions);
    if (!data || width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4) ||
        linesize < width * channels)
        return vd_error_set(err, VD_EINVAL,
                            "motion: bad frame %dx%d, %d channels, linesize %d", width, height,
                            channels, linesize);
    m->st.frames++;
    m->st.last_reset = 0;
    int fresh = width != m->src_w || height != m->src_h;
    if (fresh) {
        if (m->src_w)
            m->st.resets++; /* the size changed under us: a reconnect */
        int rc = alloc_grid(m, width, height, err);
        if (rc)
            return rc;
        m->src_w = width;
        m->src_h = height;
    }
    downscale(m, data, width, height, linesize, channels);
    int n = m->gw * m->gh;
    if (fresh) {
        for (int i = 0; i < n; i++)
            m->bg[i] = m->gray[i];
        m->st.changed = 0;
        return 0;
    }
    m->st.changed = (float)diff_and_learn(m) / (float)n;
    if (m->st.changed > m->o.max_changed) {
        for (int i = 0; i < n; i++)
            m->bg[i] = m->gray[i];
        m->st.resets++;
        m->st.last_reset = 1;
        return 0;
    }
    for (int i = 0; i < m->o.dilate; i++)
        morph(m, 1);
    for (int i = 0; i < m->o.erode; i++)
        morph(m, 0);
    components(m);
    int rc = emit_regions(m, regions, err);
    if (rc)
        return rc;
    sort_by_area(regions);
    if (regions->count)
        m->st.motion_frames++;
    return regions->count;
}
