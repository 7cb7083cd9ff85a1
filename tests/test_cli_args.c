/* test_cli_args.c -- every subcommand parses its flags the same way
 * (daemon/cli/args.c): "--flag=value" works wherever "--flag value" does,
 * a number must be the whole string ("", "3x" and out-of-range values are
 * usage errors naming the flag, exit 2), a switch takes no value, and
 * stdout is JSON a parser reads. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/cli.h"

#define VTEST VD_OPENCV_DATA "/vtest.avi"
#define MESSI VD_OPENCV_DATA "/messi5.jpg"
#define CARD VD_SOURCE_DIR "/config/models/blazeface-back.json"
#define ONNX VD_SOURCE_DIR "/.deps/npm/blazeface/package/ONNX/face_detection_back_256x256_barracuda.onnx"

static char out[1 << 17], err[1 << 14];

static int visiond(const char *args) { return vd_test_visiond(args, out, sizeof out, err, sizeof err); }

/* Every line of out parses as a JSON object; returns the line count. */
static int json_lines(void)
{
    int n = 0;
    for (char *p = out; *p; n++) {
        size_t len = strcspn(p, "\n");
        json_error_t je;
        json_t *j = json_loadb(p, len, 0, &je);
        cr_assert(json_is_object(j), "line %d is not a JSON object (%s): %.*s", n, je.text, (int)len, p);
        json_decref(j);
        p += len + (p[len] == '\n');
    }
    return n;
}

Test(cli_args, flag_equals_value_everywhere, .timeout = 120)
{
    cr_assert_eq(visiond("frames '" VTEST "' --count=3 --threads=1 --step=2 --md5"), 0, "%s", err);
    cr_assert_eq(json_lines(), 3);
    cr_assert_eq(visiond("probe '" VTEST "' --timeout=5"), 0, "%s", err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "probe prints one JSON document");
    json_decref(j);
    cr_assert_eq(visiond("nn bench '" ONNX "' --iterations=1 --warmup=0 --threads=1"), 0, "%s", err);
    cr_assert_eq(visiond("detect '" MESSI "' --model='" CARD "' --threshold=0.6 --iou=0.3 "
                         "--max-detections=5 --layout=nhwc --zone=left:0,0,0.5,0,0.5,1,0,1"),
                 0, "%s", err);
    cr_assert_eq(json_lines(), 1);
    cr_assert(strstr(out, "\"zones\":[\"left\"]"), "the face is in the left zone: %s", out);
}

/* Same flags, same answers, "--flag value" and "--flag=value". */
Test(cli_args, both_spellings_give_the_same_output, .timeout = 120)
{
    static char first[1 << 17];
    cr_assert_eq(visiond("frames '" VTEST "' --start 2 --count 4 --md5"), 0, "%s", err);
    snprintf(first, sizeof first, "%s", out);
    cr_assert_eq(visiond("frames '" VTEST "' --start=2 --count=4 --md5"), 0, "%s", err);
    cr_assert_str_eq(out, first);
    cr_assert_eq(visiond("detect '" VTEST "' --motion --fps 5 --end 3"), 0, "%s", err);
    snprintf(first, sizeof first, "%s", out);
    cr_assert_eq(visiond("detect '" VTEST "' --motion --fps=5 --end=3"), 0, "%s", err);
    cr_assert_str_eq(out, first);
    cr_assert_eq(json_lines(), 15);
}

/* Each case: arguments, and what stderr must say; exit 2 and a pointer to
 * --help for all of them. */
static const struct { const char *args, *want; } usage_cases[] = {
    /* numbers: whole string, errno-checked, in range */
    {"frames '" VTEST "' --threads ''", "--threads: '' is not an integer"},
    {"frames '" VTEST "' --threads 3x", "--threads: '3x'"},
    {"frames '" VTEST "' --threads=-1", "--threads"},
    {"frames '" VTEST "' --count=", "--count"},
    {"probe '" VTEST "' --timeout=abc", "--timeout"},
    {"nn bench '" ONNX "' --iterations=", "--iterations"},
    {"nn bench '" ONNX "' --threads=99999999999", "--threads"},
    {"detect '" MESSI "' --model '" CARD "' --threads=1.5", "--threads"},
    {"detect '" MESSI "' --model '" CARD "' --threshold=", "--threshold: '' is not a number"},
    {"detect '" MESSI "' --model '" CARD "' --iou 1e999", "--iou"},
    {"detect '" VTEST "' --motion --motion-width=-3", "--motion-width"},
    /* switches, missing values, unknown flags */
    {"frames '" VTEST "' --md5=1", "--md5 takes no value"},
    {"detect '" VTEST "' --motion --track=yes", "--track takes no value"},
    {"nn bench '" ONNX "' --zeros=1", "--zeros takes no value"},
    {"frames '" VTEST "' --out", "--out needs a value"},
    {"detect '" MESSI "' --model", "--model needs a value"},
    {"frames '" VTEST "' --bogus=1", "unknown option '--bogus'"},
    {"probe '" VTEST "' --bogus", "unknown option '--bogus'"},
    {"detect '" MESSI "' --motion --bogus=2", "unknown option '--bogus'"},
    {"detect '" MESSI "' --motion --outputs=a", "need --model"},
    {"detect '" MESSI "' --model '" CARD "' --outputs=", "--outputs"},
};

Test(cli_args, one_usage_error_path, .timeout = 120)
{
    for (size_t i = 0; i < sizeof usage_cases / sizeof usage_cases[0]; i++) {
        const char *args = usage_cases[i].args, *want = usage_cases[i].want;
        int rc = visiond(args);
        cr_assert_eq(rc, 2, "visiond %s: exit %d, want 2 (%s)", args, rc, err);
        cr_assert(strstr(err, want), "visiond %s: stderr lacks '%s': %s", args, want, err);
        cr_assert(strstr(err, "--help"), "visiond %s: no pointer to --help: %s", args, err);
    }
}
