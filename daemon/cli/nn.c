/* cli_nn.c -- `visiond nn`: inspect, run and benchmark ONNX models.
 *
 *   visiond nn info  MODEL
 *   visiond nn run   MODEL --input NAME=FILE.npy [...] --output-dir DIR [--threads T]
 *   visiond nn bench MODEL [--batch N] [--threads T] [--iterations I] [--warmup W]
 *                          [--shape NAME=DxDx..] [--zeros] [--profile]
 *   visiond nn ops
 *
 * Everything goes through the public vision/nn.h API, like any other
 * client; the only internal header used is graph.h, to list the op
 * registry for `nn ops`. One table-driven option parser serves all
 * subcommands so flags behave the same everywhere. Results are JSON on
 * stdout; errors go to stderr (exit 2 for usage, 1 for bad input). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "vision/nn/nn.h"
#include "vision/nn/graph.h"
#include "vision/core/npy.h"

#define MAX_INPUTS 64

enum { SUB_INFO = 1, SUB_RUN = 2, SUB_BENCH = 4 };

typedef struct nn_args {
    const char *model;
    const char *inputs[MAX_INPUTS]; /* NAME=FILE (run) or NAME=DxD (bench --shape) */
    int n_inputs;
    const char *output_dir;
    int threads, batch, iterations, warmup, profile, zeros;
} nn_args;

typedef struct nn_opt {
    const char *name;
    unsigned subs; /* subcommands accepting it */
    int has_arg;
} nn_opt;

static const nn_opt nn_opts[] = {
    {"--input", SUB_RUN, 1},           {"--output-dir", SUB_RUN, 1},
    {"--threads", SUB_RUN | SUB_BENCH, 1}, {"--batch", SUB_BENCH, 1},
    {"--iterations", SUB_BENCH, 1},    {"--warmup", SUB_BENCH, 1},
    {"--shape", SUB_BENCH, 1},         {"--profile", SUB_BENCH, 0},
    {"--zeros", SUB_BENCH, 0},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: visiond nn info MODEL\n"
            "       visiond nn run MODEL --input NAME=FILE.npy [--input ...] --output-dir DIR\n"
            "                         [--threads T]\n"
            "       visiond nn bench MODEL [--batch N] [--threads T] [--iterations I]\n"
            "                         [--warmup W] [--shape NAME=1x3x640x640] [--zeros]\n"
            "                         [--profile]\n"
            "       visiond nn ops\n"
            "\n"
            "info   inputs, outputs, opset, op histogram, parameters, planned memory (JSON)\n"
            "run    run on .npy inputs, write DIR/<output>.npy for every output\n"
            "bench  latency, throughput and peak memory on random inputs (JSON)\n"
            "ops    list the supported ONNX ops and the opsets they start at\n");
}

static int apply_opt(nn_args *a, const char *flag, const char *val)
{
    vd_error e;
    if (!strcmp(flag, "--input") || !strcmp(flag, "--shape")) {
        if (a->n_inputs == MAX_INPUTS)
            return vd_cli_args_usage("nn", "too many %s options", flag);
        if (!strchr(val, '=') || val[0] == '=')
            return vd_cli_args_usage("nn", "%s expects NAME=VALUE", flag);
        a->inputs[a->n_inputs++] = val;
        return 0;
    }
    if (!strcmp(flag, "--output-dir")) {
        a->output_dir = val;
        return 0;
    }
    if (!strcmp(flag, "--profile") || !strcmp(flag, "--zeros")) {
        if (!strcmp(flag, "--profile"))
            a->profile = 1;
        else
            a->zeros = 1;
        return 0;
    }
    int *dst = !strcmp(flag, "--threads")   ? &a->threads
               : !strcmp(flag, "--batch")   ? &a->batch
               : !strcmp(flag, "--warmup")  ? &a->warmup
                                            : &a->iterations;
    if (vd_cli_args_to_int(flag, val, dst == &a->warmup ? 0 : 1, 1000000, dst, &e))
        return vd_cli_args_usage("nn", "%s", e.msg);
    return 0;
}

/* Options as "--flag value" or "--flag=value", anywhere; one positional MODEL. */
static int parse_args(int argc, char **argv, unsigned sub, nn_args *a)
{
    *a = (nn_args){.threads = 1, .batch = 1, .iterations = 20, .warmup = 3};
    vd_cli_args c;
    vd_cli_args_init(&c, "nn", argc, argv, 0);
    while (vd_cli_args_next(&c)) {
        if (vd_cli_args_positional(&c)) {
            if (a->model)
                return vd_cli_args_error(&c, "unexpected argument '%s'", c.arg);
            a->model = c.arg;
            continue;
        }
        const nn_opt *o = NULL;
        for (size_t k = 0; k < sizeof nn_opts / sizeof nn_opts[0]; k++)
            if (vd_cli_args_is(&c, nn_opts[k].name))
                o = &nn_opts[k];
        if (!o || !(o->subs & sub))
            return vd_cli_args_error(&c, "unknown option '%s' for this subcommand", c.flag);
        const char *val = NULL;
        if (o->has_arg ? !(val = vd_cli_args_value(&c)) : vd_cli_args_switch(&c))
            return VD_EXIT_USAGE;
        int rc = apply_opt(a, o->name, val);
        if (rc)
            return rc;
    }
    if (!a->model)
        return vd_cli_args_error(&c, "missing MODEL");
    return 0;
}

static int fail(const vd_error *err)
{
    fprintf(stderr, "visiond nn: %s\n", err->msg);
    return VD_EXIT_INPUT;
}

/* ---- JSON helpers ---- */

static json_t *shape_json(int ndim, const int64_t *shape, const char *const *names)
{
    json_t *arr = json_array();
    for (int i = 0; i < ndim; i++) {
        if (shape[i] >= 0)
            json_array_append_new(arr, json_integer(shape[i]));
        else if (names && names[i] && names[i][0])
            json_array_append_new(arr, json_string(names[i]));
        else
            json_array_append_new(arr, json_null());
    }
    return arr;
}

static json_t *io_json(const vd_nn_io_info *io, const vd_nn_session *s, int index, int is_input)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(io->name));
    json_object_set_new(o, "dtype", json_string(vd_dtype_name(io->dtype)));
    json_object_set_new(o, "shape", shape_json(io->ndim, io->shape, io->dim_names));
    if (s) {
        int64_t shape[VD_TENSOR_MAX_DIMS];
        int nd = is_input ? vd_nn_session_input_shape(s, index, shape)
                          : vd_nn_session_output_shape(s, index, shape);
        json_object_set_new(o, "shape_at_batch_1", shape_json(nd, shape, NULL));
    }
    return o;
}

static void json_print(json_t *root)
{
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

/* Index of the first input whose planned shape still has a -1, or -1. */
static int unresolved_input(const vd_nn_model *m, const vd_nn_session *s)
{
    for (int i = 0; i < vd_nn_model_input_count(m); i++) {
        int64_t shape[VD_TENSOR_MAX_DIMS];
        int nd = vd_nn_session_input_shape(s, i, shape);
        for (int d = 0; d < nd; d++)
            if (shape[d] < 0)
                return i;
    }
    return -1;
}

/* ---- nn info ---- */

static int cmd_info(const nn_args *a)
{
    vd_error err = {0};
    vd_nn_model *m = NULL;
    if (vd_nn_model_load(&m, a->model, &err))
        return fail(&err);
    vd_nn_session *s = NULL;
    vd_error serr = {0};
    vd_nn_session_create(&s, m, NULL, &serr);

    vd_nn_model_info info;
    vd_nn_model_get_info(m, &info);
    json_t *root = json_object(), *ins = json_array(), *outs = json_array(), *ops = json_object();
    json_object_set_new(root, "model", json_string(a->model));
    json_object_set_new(root, "producer", json_string(info.producer ? info.producer : ""));
    json_object_set_new(root, "opset", json_integer(info.opset));
    for (int i = 0; i < vd_nn_model_input_count(m); i++)
        json_array_append_new(ins, io_json(vd_nn_model_input(m, i), s, i, 1));
    for (int i = 0; i < vd_nn_model_output_count(m); i++)
        json_array_append_new(outs, io_json(vd_nn_model_output(m, i), s, i, 0));
    json_object_set_new(root, "inputs", ins);
    json_object_set_new(root, "outputs", outs);
    for (int i = 0; i < info.n_op_kinds; i++)
        json_object_set_new(ops, info.op_names[i], json_integer(info.op_counts[i]));
    json_object_set_new(root, "op_histogram", ops);
    json_object_set_new(root, "nodes", json_integer(info.n_nodes_original));
    json_object_set_new(root, "nodes_optimized", json_integer(info.n_nodes));
    json_object_set_new(root, "parameters", json_integer(info.n_params));
    json_object_set_new(root, "weight_bytes", json_integer((json_int_t)vd_nn_model_weight_bytes(m)));
    int open_in = s ? unresolved_input(m, s) : -1;
    if (s && open_in < 0) {
        json_object_set_new(root, "arena_bytes_batch_1",
                            json_integer((json_int_t)vd_nn_session_arena_bytes(s)));
    } else if (s) {
        char note[300];
        snprintf(note, sizeof note, "input '%s' has symbolic dimensions besides the batch; "
                 "memory is planned once they are known (nn run, nn bench --shape)",
                 vd_nn_model_input(m, open_in)->name);
        json_object_set_new(root, "arena_bytes_batch_1", json_null());
        json_object_set_new(root, "arena_note", json_string(note));
    } else {
        /* Symbolic non-batch dims: planned memory needs a concrete shape. */
        json_object_set_new(root, "arena_bytes_batch_1", json_null());
        json_object_set_new(root, "arena_note", json_string(serr.msg));
    }
    json_print(root);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
    return VD_EXIT_OK;
}

/* ---- nn run ---- */

/* Output file name: characters outside [A-Za-z0-9._-] become '_'. */
static void safe_name(const char *name, char *buf, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++) {
        char c = name[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
    if (!i)
        snprintf(buf, n, "_");
}

static void list_inputs(const vd_nn_model *m, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < vd_nn_model_input_count(m) && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s'%s'", i ? ", " : "",
                                vd_nn_model_input(m, i)->name);
}

/* Reads every --input into tensors[] (indexed like the model's inputs). */
static int load_inputs(const nn_args *a, const vd_nn_model *m, vd_tensor *tensors)
{
    char names[1024];
    list_inputs(m, names, sizeof names);
    for (int k = 0; k < a->n_inputs; k++) {
        char name[256];
        const char *eq = strchr(a->inputs[k], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - a->inputs[k]), a->inputs[k]);
        int i = vd_nn_model_input_index(m, name);
        if (i < 0) {
            fprintf(stderr, "visiond nn: model has no input '%s' (inputs: %s)\n", name, names);
            return VD_EXIT_INPUT;
        }
        if (tensors[i].data || tensors[i].ndim) {
            fprintf(stderr, "visiond nn: input '%s' given twice\n", name);
            return VD_EXIT_USAGE;
        }
        vd_error err = {0};
        if (vd_npy_read(eq + 1, &tensors[i], &err)) {
            fprintf(stderr, "visiond nn: input '%s': %s\n", name, err.msg);
            return VD_EXIT_INPUT;
        }
    }
    for (int i = 0; i < vd_nn_model_input_count(m); i++)
        if (!tensors[i].data && !tensors[i].ndim) {
            fprintf(stderr, "visiond nn: missing --input for model input '%s' (inputs: %s)\n",
                    vd_nn_model_input(m, i)->name, names);
            return VD_EXIT_INPUT;
        }
    return 0;
}

/* The array must have the declared dtype and rank, and match every fixed dim. */
static int check_input(const vd_nn_io_info *io, const vd_tensor *t)
{
    char got[128], want[128];
    vd_tensor decl;
    vd_tensor_view(&decl, io->dtype, io->ndim, io->shape, NULL);
    vd_tensor_shape_str(t, got, sizeof got);
    vd_tensor_shape_str(&decl, want, sizeof want);
    if (t->dtype != io->dtype) {
        fprintf(stderr, "visiond nn: input '%s': array has dtype %s, model expects %s\n",
                io->name, vd_dtype_name(t->dtype), vd_dtype_name(io->dtype));
        return VD_EXIT_INPUT;
    }
    int ok = t->ndim == io->ndim;
    for (int d = 0; ok && d < io->ndim; d++)
        ok = io->shape[d] < 0 || io->shape[d] == t->shape[d];
    if (!ok) {
        fprintf(stderr, "visiond nn: input '%s': array has shape %s, model expects %s "
                        "(-1: any size)\n", io->name, got, want);
        return VD_EXIT_INPUT;
    }
    return 0;
}

/* Session whose input shapes are the arrays' shapes: the batch comes from
 * the first input with a symbolic leading dim, other symbolic dims are set
 * per input. */
static int make_session(const vd_nn_model *m, const vd_tensor *in, int threads, int profile,
                        vd_nn_session **s, vd_error *err)
{
    int n = vd_nn_model_input_count(m);
    vd_nn_session_opts opts = {.threads = threads, .batch = 1, .profile = profile};
    for (int i = 0; i < n; i++)
        if (vd_nn_model_input(m, i)->ndim > 0 && vd_nn_model_input(m, i)->shape[0] < 0) {
            opts.batch = (int)in[i].shape[0];
            break;
        }
    int rc = vd_nn_session_create(s, m, &opts, err);
    for (int i = 0; !rc && i < n; i++) {
        int64_t shape[VD_TENSOR_MAX_DIMS];
        vd_tensor planned;
        vd_tensor_view(&planned, in[i].dtype, vd_nn_session_input_shape(*s, i, shape), shape,
                       NULL);
        if (!vd_tensor_same_shape(&planned, &in[i]))
            rc = vd_nn_session_set_input_shape(*s, i, in[i].ndim, in[i].shape, err);
    }
    return rc;
}

static int ensure_dir(const char *dir)
{
    if (mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "visiond nn: cannot create output directory '%s': %s\n", dir,
                strerror(errno));
        return VD_EXIT_INPUT;
    }
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "visiond nn: '%s' is not a directory\n", dir);
        return VD_EXIT_INPUT;
    }
    return 0;
}

/* Writes each output to DIR/<safe name>.npy; a second output whose safe
 * name collides gets "_<index>" appended. Prints the mapping as JSON. */
static int write_outputs(const vd_nn_model *m, const char *dir, vd_tensor *out, int n)
{
    json_t *root = json_object(), *arr = json_array();
    char(*files)[300] = calloc((size_t)n, sizeof *files);
    int rc = files ? 0 : VD_EXIT_INPUT;
    for (int j = 0; j < n && !rc; j++) {
        const char *name = vd_nn_model_output(m, j)->name;
        safe_name(name, files[j], 256);
        for (int k = 0; k < j; k++)
            if (!strcmp(files[k], files[j]))
                snprintf(files[j] + strlen(files[j]), 44, "_%d", j);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.npy", dir, files[j]);
        vd_error err = {0};
        if (vd_npy_write(path, &out[j], &err)) {
            rc = fail(&err);
            break;
        }
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "file", json_string(path));
        json_object_set_new(o, "dtype", json_string(vd_dtype_name(out[j].dtype)));
        json_object_set_new(o, "shape", shape_json(out[j].ndim, out[j].shape, NULL));
        json_array_append_new(arr, o);
    }
    free(files);
    json_object_set_new(root, "outputs", arr);
    if (!rc)
        json_print(root);
    else
        json_decref(root);
    return rc;
}

static int cmd_run(const nn_args *a)
{
    if (!a->output_dir)
        return vd_cli_args_usage("nn", "%s", "run needs --output-dir DIR");
    if (!a->n_inputs)
        return vd_cli_args_usage("nn", "%s", "run needs at least one --input NAME=FILE.npy");
    vd_error err = {0};
    vd_nn_model *m = NULL;
    if (vd_nn_model_load(&m, a->model, &err))
        return fail(&err);
    int n_in = vd_nn_model_input_count(m), n_out = vd_nn_model_output_count(m);
    vd_tensor *in = calloc((size_t)n_in + 1, sizeof *in);
    vd_tensor *out = calloc((size_t)n_out + 1, sizeof *out);
    vd_nn_session *s = NULL;
    int rc = in && out ? load_inputs(a, m, in) : VD_EXIT_INPUT;
    for (int i = 0; !rc && i < n_in; i++)
        rc = check_input(vd_nn_model_input(m, i), &in[i]);
    if (!rc && make_session(m, in, a->threads, 0, &s, &err))
        rc = fail(&err);
    if (!rc && vd_nn_session_run(s, in, n_in, out, n_out, &err))
        rc = fail(&err);
    if (!rc)
        rc = ensure_dir(a->output_dir);
    if (!rc)
        rc = write_outputs(m, a->output_dir, out, n_out);
    for (int i = 0; in && i < n_in; i++)
        vd_tensor_free(&in[i]);
    for (int j = 0; out && j < n_out; j++)
        vd_tensor_free(&out[j]);
    free(in);
    free(out);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
    return rc;
}

/* ---- nn bench ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, int n, double q)
{
    int k = (int)(q * n + 0.999999) - 1;
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* Applies --shape NAME=DxDxD options. */
static int apply_shapes(const nn_args *a, const vd_nn_model *m, vd_nn_session *s)
{
    for (int k = 0; k < a->n_inputs; k++) {
        const char *eq = strchr(a->inputs[k], '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - a->inputs[k]), a->inputs[k]);
        int i = vd_nn_model_input_index(m, name), nd = 0;
        if (i < 0) {
            char names[1024];
            list_inputs(m, names, sizeof names);
            fprintf(stderr, "visiond nn: model has no input '%s' (inputs: %s)\n", name, names);
            return VD_EXIT_INPUT;
        }
        int64_t shape[VD_TENSOR_MAX_DIMS];
        for (const char *p = eq + 1; *p; nd++) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p || v <= 0 || nd == VD_TENSOR_MAX_DIMS || (*end && *end != 'x'))
                return vd_cli_args_usage("nn", "--shape expects NAME=DxDx..., got '%s'", a->inputs[k]);
            shape[nd] = v;
            p = *end ? end + 1 : end;
        }
        vd_error err = {0};
        if (vd_nn_session_set_input_shape(s, i, nd, shape, &err))
            return fail(&err);
    }
    return 0;
}

/* Random uniform [0,1) floats (fixed seed) or zeros; integer inputs zero. */
static int make_bench_inputs(const vd_nn_session *s, const vd_nn_model *m, int zeros,
                             vd_tensor *in)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < vd_nn_model_input_count(m); i++) {
        int64_t shape[VD_TENSOR_MAX_DIMS];
        int nd = vd_nn_session_input_shape(s, i, shape);
        vd_error err = {0};
        if (vd_tensor_alloc(&in[i], vd_nn_model_input(m, i)->dtype, nd, shape, &err))
            return fail(&err);
        if (zeros || in[i].dtype != VD_DTYPE_F32)
            continue;
        float *f = in[i].data;
        for (int64_t k = 0; k < vd_tensor_numel(&in[i]); k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f[k] = (float)(x >> 40) / (float)(1 << 24);
        }
    }
    return 0;
}

typedef struct prof_row {
    const char *name, *op;
    double ms; /* per run */
    int nodes;
} prof_row;

static int cmp_row(const void *a, const void *b)
{
    double x = ((const prof_row *)a)->ms, y = ((const prof_row *)b)->ms;
    return (x < y) - (x > y); /* descending */
}

static json_t *rows_json(const prof_row *r, int n, double total, int by_op)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        if (!by_op)
            json_object_set_new(o, "node", json_string(r[i].name));
        json_object_set_new(o, "op", json_string(r[i].op));
        if (by_op)
            json_object_set_new(o, "nodes", json_integer(r[i].nodes));
        json_object_set_new(o, "ms", json_real(r[i].ms));
        json_object_set_new(o, "percent", json_real(total > 0 ? 100 * r[i].ms / total : 0));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* Per-op time split (ms per run, by time), plus the 15 slowest nodes. */
static json_t *profile_json(const vd_nn_session *s)
{
    int n = vd_nn_session_profile_count(s), n_ops = 0;
    prof_row *nodes = calloc((size_t)n + 1, sizeof *nodes);
    prof_row *ops = calloc((size_t)n + 1, sizeof *ops);
    double total = 0;
    for (int i = 0; nodes && ops && i < n; i++) {
        vd_nn_node_profile p;
        vd_nn_session_profile(s, i, &p);
        nodes[i] = (prof_row){p.name, p.op, p.runs ? p.total_ms / (double)p.runs : 0, 1};
        total += nodes[i].ms;
        int k = 0;
        while (k < n_ops && strcmp(ops[k].op, p.op))
            k++;
        if (k == n_ops)
            ops[n_ops++] = (prof_row){NULL, p.op, 0, 0};
        ops[k].ms += nodes[i].ms;
        ops[k].nodes++;
    }
    json_t *root = json_object();
    if (nodes && ops) {
        qsort(ops, (size_t)n_ops, sizeof *ops, cmp_row);
        qsort(nodes, (size_t)n, sizeof *nodes, cmp_row);
        json_object_set_new(root, "total_ms", json_real(total));
        json_object_set_new(root, "by_op", rows_json(ops, n_ops, total, 1));
        json_object_set_new(root, "top_nodes", rows_json(nodes, n < 15 ? n : 15, total, 0));
    }
    free(nodes);
    free(ops);
    return root;
}

static int time_runs(const nn_args *a, vd_nn_session *s, vd_tensor *in, int n_in,
                     vd_tensor *out, int n_out, double *times)
{
    vd_error err = {0};
    for (int it = 0; it < a->warmup + a->iterations; it++) {
        if (it == a->warmup)
            vd_nn_session_profile_reset(s);
        double t0 = now_ms();
        if (vd_nn_session_run(s, in, n_in, out, n_out, &err))
            return fail(&err);
        if (it >= a->warmup)
            times[it - a->warmup] = now_ms() - t0;
        for (int j = 0; j < n_out; j++) /* keep session-allocated outputs from piling up */
            vd_tensor_free(&out[j]);
    }
    return 0;
}

static void print_bench(const nn_args *a, const vd_nn_session *s, double *times)
{
    int n = a->iterations;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += times[i];
    qsort(times, (size_t)n, sizeof *times, cmp_double);
    double mean = sum / n;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    json_t *root = json_object();
    json_object_set_new(root, "model", json_string(a->model));
    json_object_set_new(root, "batch", json_integer(a->batch));
    json_object_set_new(root, "threads", json_integer(a->threads));
    json_object_set_new(root, "iterations", json_integer(n));
    json_object_set_new(root, "mean_ms", json_real(mean));
    json_object_set_new(root, "p50_ms", json_real(percentile(times, n, 0.5)));
    json_object_set_new(root, "p90_ms", json_real(percentile(times, n, 0.9)));
    json_object_set_new(root, "min_ms", json_real(times[0]));
    json_object_set_new(root, "throughput", json_real(a->batch * 1000.0 / mean));
    json_object_set_new(root, "peak_rss_bytes", json_integer((json_int_t)ru.ru_maxrss * 1024));
    json_object_set_new(root, "arena_bytes", json_integer((json_int_t)vd_nn_session_arena_bytes(s)));
    if (a->profile)
        json_object_set_new(root, "profile", profile_json(s));
    json_print(root);
}

static int cmd_bench(const nn_args *a)
{
    vd_error err = {0};
    vd_nn_model *m = NULL;
    if (vd_nn_model_load(&m, a->model, &err))
        return fail(&err);
    int n_in = vd_nn_model_input_count(m), n_out = vd_nn_model_output_count(m);
    vd_nn_session_opts opts = {.threads = a->threads, .batch = a->batch, .profile = a->profile};
    vd_nn_session *s = NULL;
    vd_tensor *in = calloc((size_t)n_in + 1, sizeof *in);
    vd_tensor *out = calloc((size_t)n_out + 1, sizeof *out);
    double *times = calloc((size_t)a->iterations, sizeof *times);
    int rc = in && out && times ? 0 : VD_EXIT_INPUT;
    if (!rc && vd_nn_session_create(&s, m, &opts, &err))
        rc = fail(&err);
    if (!rc)
        rc = apply_shapes(a, m, s);
    int open_in = rc ? -1 : unresolved_input(m, s);
    if (open_in >= 0) {
        fprintf(stderr, "visiond nn: input '%s' has symbolic dimensions besides the batch; "
                "give its full shape with --shape %s=Dx...\n", vd_nn_model_input(m, open_in)->name,
                vd_nn_model_input(m, open_in)->name);
        rc = VD_EXIT_USAGE;
    }
    if (!rc)
        rc = make_bench_inputs(s, m, a->zeros, in);
    if (!rc)
        rc = time_runs(a, s, in, n_in, out, n_out, times);
    if (!rc)
        print_bench(a, s, times);
    for (int i = 0; in && i < n_in; i++)
        vd_tensor_free(&in[i]);
    free(in);
    free(out);
    free(times);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
    return rc;
}

/* ---- nn ops ---- */

static int cmp_op(const void *a, const void *b)
{
    const vd_nn_op *x = *(const vd_nn_op *const *)a, *y = *(const vd_nn_op *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->since_opset - y->since_opset;
}

static int cmd_ops(void)
{
    int n = 0;
    while (vd_nn_op_at(n))
        n++;
    const vd_nn_op **ops = calloc((size_t)n + 1, sizeof *ops);
    if (!ops)
        return VD_EXIT_INPUT;
    for (int i = 0; i < n; i++)
        ops[i] = vd_nn_op_at(i);
    qsort(ops, (size_t)n, sizeof *ops, cmp_op);
    for (int i = 0; i < n; i++) {
        if (i && !strcmp(ops[i]->name, ops[i - 1]->name))
            continue;
        printf("%-24s opset", ops[i]->name);
        for (int k = i; k < n && !strcmp(ops[k]->name, ops[i]->name); k++)
            printf(" %d+", ops[k]->since_opset);
        printf("\n");
    }
    free(ops);
    return VD_EXIT_OK;
}

int vd_cli_nn(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VD_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        usage(stdout);
        return VD_EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return VD_EXIT_OK;
        }
    if (!strcmp(sub, "ops"))
        return argc == 2 ? cmd_ops() : vd_cli_args_usage("nn", "%s", "ops takes no arguments");
    unsigned mask = !strcmp(sub, "info") ? SUB_INFO : !strcmp(sub, "run") ? SUB_RUN
                  : !strcmp(sub, "bench")                                ? SUB_BENCH
                                                                         : 0;
    if (!mask)
        return vd_cli_args_usage("nn", "unknown subcommand '%s'", sub);
    nn_args a;
    int rc = parse_args(argc - 2, argv + 2, mask, &a);
    if (rc)
        return rc;
    return mask == SUB_INFO ? cmd_info(&a) : mask == SUB_RUN ? cmd_run(&a) : cmd_bench(&a);
}
