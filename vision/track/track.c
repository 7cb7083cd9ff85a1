/* track.c -- the SORT tracker: Kalman filter per track, Hungarian IoU
 * association (vision/box's IoU), lifecycle and events. See track.h. The filter matrices are
 * tiny (7x7 state, 4x4 innovation), so they are plain double arrays with
 * three helpers; the innovation covariance is inverted by Gauss-Jordan. */
#include "track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NX 7
#define NZ 4

typedef struct track {
    double x[NX];
    double P[NX][NX];
    int64_t id;          /* 0 while tentative */
    int label;
    char name[VD_DET_NAME_MAX];
    int streak;          /* consecutive matched updates */
    int missed;          /* consecutive updates without a match */
    int hits;
    int det;             /* detection matched in this update, -1 none */
    double first_pts, last_pts;
    float score, top_score;
    float box[4], best_box[4];
} track;

struct vd_tracker {
    vd_tracker_opts o;
    track *tr;
    int n, cap;
    int64_t next_id;
    double last_pts;
    int started;
    vd_track_event *ev;
    int n_ev, cap_ev;
};

int vd_tracker_create(vd_tracker **out, const vd_tracker_opts *opts, vd_error *err)
{
    *out = NULL;
    vd_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return vd_error_set(err, VD_ENOMEM, "tracker: out of memory");
    if (opts)
        t->o = *opts;
    if (t->o.iou <= 0)
        t->o.iou = 0.3f;
    if (t->o.min_hits <= 0)
        t->o.min_hits = 3;
    if (t->o.max_age <= 0)
        t->o.max_age = 5;
    if (t->o.iou > 1) {
        free(t);
        return vd_error_set(err, VD_EINVAL, "tracker: iou %g is above 1", opts->iou);
    }
    t->next_id = 1;
    *out = t;
    return VD_OK;
}

void vd_tracker_free(vd_tracker **pt)
{
    if (!*pt)
        return;
    free((*pt)->tr);
    free((*pt)->ev);
    free(*pt);
    *pt = NULL;
}

int vd_tracker_events(const vd_tracker *t, const vd_track_event **events)
{
    *events = t->ev;
    return t->n_ev;
}

int vd_tracker_live(const vd_tracker *t) { return t->n; }

/* ---- Kalman filter ---- */

static void box_to_z(const float *b, double *z)
{
    double w = b[2] - b[0], h = b[3] - b[1];
    z[0] = b[0] + w / 2;
    z[1] = b[1] + h / 2;
    z[2] = w * h;
    z[3] = h > 0 ? w / h : 1;
}

static vd_box x_to_box(const double *x)
{
    double s = x[2] > 0 ? x[2] : 0, w = sqrt(s * x[3]), h = w > 0 ? s / w : 0;
    return (vd_box){(float)(x[0] - w / 2), (float)(x[1] - h / 2), (float)(x[0] + w / 2),
                    (float)(x[1] + h / 2)};
}

static void kf_init(track *k, const float *box)
{
    static const double p0[NX] = {10, 10, 10, 10, 1e4, 1e4, 1e4};
    memset(k->x, 0, sizeof k->x);
    memset(k->P, 0, sizeof k->P);
    box_to_z(box, k->x);
    for (int i = 0; i < NX; i++)
        k->P[i][i] = p0[i];
}

static void kf_predict(track *k)
{
    static const double q[NX] = {1, 1, 1, 1, 1e-2, 1e-2, 1e-4};
    if (k->x[6] + k->x[2] <= 0)
        k->x[6] = 0; /* area must not go negative */
    for (int i = 0; i < 3; i++)
        k->x[i] += k->x[i + 4];
    /* P = F P F^T + Q with F = I + E(i, i+4) for i < 3 */
    double P[NX][NX];
    memcpy(P, k->P, sizeof P);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < NX; j++)
            P[i][j] += k->P[i + 4][j];
    double R[NX][NX];
    memcpy(R, P, sizeof R);
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < NX; i++)
            R[i][j] += P[i][j + 4];
    for (int i = 0; i < NX; i++)
        R[i][i] += q[i];
    memcpy(k->P, R, sizeof R);
}

/* Invert a 4x4 SPD matrix by Gauss-Jordan with partial pivoting. */
static int inv4(double a[NZ][NZ], double out[NZ][NZ])
{
    double m[NZ][2 * NZ];
    for (int i = 0; i < NZ; i++)
        for (int j = 0; j < NZ; j++) {
            m[i][j] = a[i][j];
            m[i][j + NZ] = i == j;
        }
    for (int c = 0; c < NZ; c++) {
        int piv = c;
        for (int r = c + 1; r < NZ; r++)
            if (fabs(m[r][c]) > fabs(m[piv][c]))
                piv = r;
        if (fabs(m[piv][c]) < 1e-12)
            return -1;
        for (int j = 0; j < 2 * NZ; j++) {
            double tmp = m[c][j];
            m[c][j] = m[piv][j];
            m[piv][j] = tmp;
        }
        double d = m[c][c];
        for (int j = 0; j < 2 * NZ; j++)
            m[c][j] /= d;
        for (int r = 0; r < NZ; r++)
            if (r != c) {
                double f = m[r][c];
                for (int j = 0; j < 2 * NZ; j++)
                    m[r][j] -= f * m[c][j];
            }
    }
    for (int i = 0; i < NZ; i++)
        for (int j = 0; j < NZ; j++)
            out[i][j] = m[i][j + NZ];
    return 0;
}

static void kf_update(track *k, const float *box)
{
    static const double r[NZ] = {1, 1, 10, 10};
    double z[NZ], y[NZ], S[NZ][NZ], Si[NZ][NZ], K[NX][NZ];
    box_to_z(box, z);
    for (int i = 0; i < NZ; i++) {
        y[i] = z[i] - k->x[i];
        for (int j = 0; j < NZ; j++)
            S[i][j] = k->P[i][j] + (i == j ? r[i] : 0);
    }
    if (inv4(S, Si)) {
        kf_init(k, box); /* degenerate covariance: restart from the measurement */
        return;
    }
    for (int i = 0; i < NX; i++) /* K = P H^T S^-1; P H^T = first NZ columns of P */
        for (int j = 0; j < NZ; j++) {
            double s = 0;
            for (int l = 0; l < NZ; l++)
                s += k->P[i][l] * Si[l][j];
            K[i][j] = s;
        }
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NZ; j++)
            k->x[i] += K[i][j] * y[j];
    double P[NX][NX]; /* (I - K H) P */
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NX; j++) {
            double s = 0;
            for (int l = 0; l < NZ; l++)
                s += K[i][l] * k->P[l][j];
            P[i][j] = k->P[i][j] - s;
        }
    memcpy(k->P, P, sizeof P);
}

/* ---- lifecycle ---- */

static int push_event(vd_tracker *t, vd_track_event_type type, const track *k, vd_error *err)
{
    if (t->n_ev == t->cap_ev) {
        int cap = t->cap_ev ? 2 * t->cap_ev : 32;
        vd_track_event *p = realloc(t->ev, (size_t)cap * sizeof *p);
        if (!p)
            return vd_error_set(err, VD_ENOMEM, "tracker: out of memory");
        t->ev = p;
        t->cap_ev = cap;
    }
    vd_track_event *e = &t->ev[t->n_ev++];
    e->type = type;
    e->id = k->id;
    e->label = k->label;
    memcpy(e->name, k->name, sizeof e->name);
    e->first_pts = k->first_pts;
    e->last_pts = k->last_pts;
    e->score = k->score;
    e->top_score = k->top_score;
    memcpy(e->box, k->box, sizeof e->box);
    memcpy(e->best_box, k->best_box, sizeof e->best_box);
    e->hits = k->hits;
    return VD_OK;
}

static void track_hit(track *k, const vd_detection *d, int det, double pts)
{
    k->det = det;
    k->hits++;
    k->streak++;
    k->missed = 0;
    k->last_pts = pts;
    k->score = d->score;
    memcpy(k->box, d->box, sizeof k->box);
    if (d->score > k->top_score) {
        k->top_score = d->score;
        memcpy(k->best_box, d->box, sizeof k->best_box);
    }
}

static int track_new(vd_tracker *t, const vd_detection *d, int det, double pts, vd_error *err)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        track *p = realloc(t->tr, (size_t)cap * sizeof *p);
        if (!p)
            return vd_error_set(err, VD_ENOMEM, "tracker: out of memory");
        t->tr = p;
        t->cap = cap;
    }
    track *k = &t->tr[t->n++];
    memset(k, 0, sizeof *k);
    kf_init(k, d->box);
    k->label = d->label;
    memcpy(k->name, d->name, sizeof k->name);
    k->first_pts = pts;
    k->top_score = -1;
    track_hit(k, d, det, pts);
    return VD_OK;
}

/* match[i] = track index for detection i, or -1. */
static int associate(vd_tracker *t, const vd_det_list *dets, int *match, vd_error *err)
{
    int nd = dets->count, nt = t->n;
    for (int i = 0; i < nd; i++)
        match[i] = -1;
    if (!nd || !nt)
        return VD_OK;
    double *cost = malloc((size_t)nd * (size_t)nt * sizeof *cost);
    vd_box *pred = malloc((size_t)nt * sizeof *pred);
    if (!cost || !pred) {
        free(cost);
        free(pred);
        return vd_error_set(err, VD_ENOMEM, "tracker: out of memory");
    }
    for (int j = 0; j < nt; j++)
        pred[j] = x_to_box(t->tr[j].x);
    for (int i = 0; i < nd; i++)
        for (int j = 0; j < nt; j++) {
            const vd_detection *d = &dets->items[i];
            int same = t->o.class_agnostic || d->label == t->tr[j].label;
            float v = same ? vd_box_iou(&d->bbox, &pred[j]) : 0;
            /* below the gate a pair is worth the same as no pair */
            cost[(size_t)i * (size_t)nt + (size_t)j] = v >= t->o.iou ? 1.0 - v : 1.0;
        }
    int rc = vd_hungarian(cost, nd, nt, match, err);
    for (int i = 0; i < nd && !rc; i++)
        if (match[i] >= 0 && cost[(size_t)i * (size_t)nt + (size_t)match[i]] >= 1.0)
            match[i] = -1;
    free(cost);
    free(pred);
    return rc;
}

/* Confirm, report and retire after matching; stamp ids on detections. */
static int lifecycle(vd_tracker *t, vd_det_list *dets, vd_error *err)
{
    int rc = VD_OK, n = 0;
    for (int j = 0; j < t->n && !rc; j++) {
        track *k = &t->tr[j];
        if (k->missed == 0 && !k->id && k->streak >= t->o.min_hits) {
            k->id = t->next_id++;
            rc = push_event(t, VD_TRACK_NEW, k, err);
        } else if (k->missed == 0 && k->id) {
            rc = push_event(t, VD_TRACK_UPDATE, k, err);
        }
        if (k->missed == 0 && k->id && k->det >= 0 && k->det < dets->count)
            dets->items[k->det].track_id = k->id;
        if (k->id ? k->missed > t->o.max_age : k->missed > 0) {
            if (k->id && !rc)
                rc = push_event(t, VD_TRACK_END, k, err);
            continue;
        }
        t->tr[n++] = *k;
    }
    t->n = n;
    return rc;
}

int vd_tracker_update(vd_tracker *t, double pts, vd_det_list *dets, vd_error *err)
{
    t->n_ev = 0;
    if (isnan(pts) || (t->started && pts < t->last_pts))
        return vd_error_set(err, VD_EINVAL, "tracker: pts %g after %g", pts, t->last_pts);
    t->started = 1;
    t->last_pts = pts;
    for (int i = 0; i < dets->count; i++)
        dets->items[i].track_id = 0;
    for (int j = 0; j < t->n; j++)
        kf_predict(&t->tr[j]);
    int *match = malloc(((size_t)dets->count + 1) * sizeof *match);
    if (!match)
        return vd_error_set(err, VD_ENOMEM, "tracker: out of memory");
    int nt = t->n, rc = associate(t, dets, match, err);
    char *hit = calloc((size_t)nt + 1, 1);
    if (!hit && !rc)
        rc = vd_error_set(err, VD_ENOMEM, "tracker: out of memory");
    for (int i = 0; i < dets->count && !rc; i++) {
        if (match[i] < 0)
            continue;
        track *k = &t->tr[match[i]];
        kf_update(k, dets->items[i].box);
        track_hit(k, &dets->items[i], i, pts);
        hit[match[i]] = 1;
    }
    for (int j = 0; j < nt && !rc; j++)
        if (!hit[j]) {
            t->tr[j].missed++;
            t->tr[j].streak = 0;
            t->tr[j].det = -1;
        }
    for (int i = 0; i < dets->count && !rc; i++)
        if (match[i] < 0)
            rc = track_new(t, &dets->items[i], i, pts, err);
    if (!rc)
        rc = lifecycle(t, dets, err);
    free(match);
    free(hit);
    return rc;
}

int vd_tracker_flush(vd_tracker *t, vd_error *err)
{
    t->n_ev = 0;
    int rc = VD_OK;
    for (int j = 0; j < t->n && !rc; j++)
        if (t->tr[j].id)
            rc = push_event(t, VD_TRACK_END, &t->tr[j], err);
    t->n = 0;
    return rc;
}
