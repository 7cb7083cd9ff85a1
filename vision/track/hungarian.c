/* hungarian.c -- optimal assignment (Kuhn-Munkres with potentials,
 * O(n^2 m)). The matrix is transposed when rows > cols so the algorithm
 * always runs with n <= m, which it requires. */
#include "track.h"

#include <float.h>
#include <stdlib.h>

/* a: n x m (n <= m), 1-based internals as in the classic formulation.
 * p[j] = row assigned to column j. */
static int solve(const double *a, int n, int m, int *row_of_col, vd_error *err)
{
    double *u = calloc((size_t)n + 1, sizeof *u), *v = calloc((size_t)m + 1, sizeof *v);
    double *minv = malloc(((size_t)m + 1) * sizeof *minv);
    int *p = calloc((size_t)m + 1, sizeof *p), *way = calloc((size_t)m + 1, sizeof *way);
    char *used = malloc((size_t)m + 1);
    int rc = VD_OK;
    if (!u || !v || !minv || !p || !way || !used) {
        rc = vd_error_set(err, VD_ENOMEM, "hungarian: out of memory");
        goto out;
    }
    for (int i = 1; i <= n; i++) {
        p[0] = i;
        int j0 = 0;
        for (int j = 0; j <= m; j++) {
            minv[j] = DBL_MAX;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            int i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            for (int j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                double cur = a[(size_t)(i0 - 1) * (size_t)m + (size_t)(j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int j = 1; j <= m; j++)
        row_of_col[j - 1] = p[j] - 1; /* -1: column unassigned */
out:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return rc;
}

int vd_hungarian(const double *cost, int rows, int cols, int *row_to_col, vd_error *err)
{
    for (int r = 0; r < rows; r++)
        row_to_col[r] = -1;
    if (rows == 0 || cols == 0)
        return VD_OK;
    int tr = rows > cols;
    int n = tr ? cols : rows, m = tr ? rows : cols;
    double *a = malloc((size_t)n * (size_t)m * sizeof *a);
    int *owner = malloc((size_t)m * sizeof *owner);
    int rc = VD_OK;
    if (!a || !owner) {
        rc = vd_error_set(err, VD_ENOMEM, "hungarian: out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            a[(size_t)i * (size_t)m + (size_t)j] =
                tr ? cost[(size_t)j * (size_t)cols + (size_t)i] : cost[(size_t)i * (size_t)cols + (size_t)j];
    if ((rc = solve(a, n, m, owner, err)))
        goto out;
    for (int j = 0; j < m; j++) {
        if (owner[j] < 0)
            continue;
        if (tr)
            row_to_col[j] = owner[j]; /* column j of a is original row j */
        else
            row_to_col[owner[j]] = j;
    }
out:
    free(a);
    free(owner);
    return rc;
}
