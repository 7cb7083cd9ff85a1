/* test_config.c -- the daemon's configuration: the shipped example loads
 * to the documented values, every kind of mistake names file:line and the
 * key path, API stream entries (JSON) go through the same rules, PATCH is a
 * merge patch, URLs are shown without credentials, and the sources policy
 * cannot be escaped with ".." or symlinks. Real files in a temp dir. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/runtime/config.h"

#define EXAMPLE VD_SOURCE_DIR "/config/visiond.yaml"
#define VTEST VD_OPENCV_DATA "/vtest.avi"

static char tmp[PATH_MAX];

static void make_tmp(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/vd_test_config.XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void rm_tmp(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(config, .init = make_tmp, .fini = rm_tmp);

/* Write text to tmp/name and return its path (static buffer). */
static const char *put(const char *name, const char *text)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(config, example_loads_as_documented)
{
    vd_config c;
    vd_error e = {0};
    cr_assert_eq(vd_config_load(&c, EXAMPLE, "/var/lib/visiond", &e), 0, "%s", e.msg);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_null(c.token_file);
    cr_assert_str_eq(c.store_path, "/var/lib/visiond/visiond.db");
    cr_assert_eq(c.retention_days, 7);
    cr_assert_eq(c.retention_rows, 1000000);
    cr_assert_eq(c.n_schemes, 6);
    cr_assert_eq(c.n_models, 2);
    cr_assert_str_eq(c.models[0].name, "coco");
    cr_assert_str_eq(c.models[0].card, VD_SOURCE_DIR "/config/models/centernet-coco.json");
    cr_assert_str_eq(c.models[1].name, "face");
    cr_assert_str_eq(c.models[1].card, VD_SOURCE_DIR "/config/models/blazeface-back.json");
    cr_assert_eq(access(c.models[1].card, R_OK), 0);
    cr_assert_str_eq(c.deepstack_model, "coco");
    cr_assert_eq(c.n_streams, 1);
    const vd_stream_config *s = &c.streams[0];
    cr_assert_str_eq(s->id, "sample");
    cr_assert_str_eq(s->url, VTEST);
    cr_assert(s->realtime && s->loop && s->track && s->detect_enabled && s->motion_gate);
    cr_assert_eq(s->backpressure, VD_BP_DROP);
    cr_assert_float_eq(s->fps, 5, 0);
    cr_assert_float_eq(s->timeout, 10, 0);
    cr_assert_float_eq(s->reconnect_min, 1, 0);
    cr_assert_float_eq(s->reconnect_max, 60, 0);
    cr_assert_str_eq(s->model, "coco");
    cr_assert_float_eq(s->threshold, 0.4f, 0);
    cr_assert_eq(s->n_classes, 2);
    cr_assert_str_eq(s->classes[0], "person");
    cr_assert_str_eq(s->classes[1], "car");
    cr_assert_eq(s->n_zones, 1);
    cr_assert_str_eq(s->zones[0].name, "entrance");
    cr_assert_eq(s->zones[0].n, 4);
    cr_assert_float_eq(s->zones[0].pts[1][0], 0.35f, 0);
    /* media_dirs defaults to where the file streams are */
    char real[PATH_MAX];
    cr_assert_not_null(realpath(VD_OPENCV_DATA, real));
    cr_assert_eq(c.n_media_dirs, 1);
    cr_assert_str_eq(c.media_dirs[0], real);
    cr_assert_eq(vd_config_source_allowed(&c, VTEST, &e), 0, "%s", e.msg);
    vd_config_free(&c);
}

Test(config, check_config_exit_statuses)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "%s check-config %s >/dev/null 2>&1", VD_VISIOND, EXAMPLE);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 0);
    snprintf(cmd, sizeof cmd, "%s check-config %s 2>&1", VD_VISIOND,
             put("bad.yaml", "streams:\n  - id: a\n    url: rtsp://cam/1\n    fps: fast\n"));
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    cr_assert(fgets(line, sizeof line, p));
    cr_assert_eq(WEXITSTATUS(pclose(p)), 1);
    cr_assert(strstr(line, "bad.yaml:4: streams[0].fps: expected a number"), "%s", line);
    snprintf(cmd, sizeof cmd, "%s check-config >/dev/null 2>&1", VD_VISIOND);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s check-config %s/missing.yaml >/dev/null 2>&1", VD_VISIOND, tmp);
    cr_assert_eq(WEXITSTATUS(system(cmd)), 1);
}

Test(config, empty_file_is_the_defaults)
{
    vd_config c;
    vd_error e = {0};
    cr_assert_eq(vd_config_load(&c, put("empty.yaml", "# nothing\n"), NULL, &e), 0, "%s", e.msg);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.store_path, "visiond.db");
    cr_assert_eq(c.max_body, 16 << 20);
    cr_assert_eq(c.n_streams + c.n_models + c.n_media_dirs, 0);
    cr_assert_null(c.deepstack_model);
    vd_config_free(&c);
}

Test(config, relative_paths_resolve_against_the_file_and_the_state_dir)
{
    vd_config c;
    vd_error e = {0};
    const char *f = put("rel.yaml", "http: {token_file: secrets/token}\n"
                                    "store: {path: db/events.db}\n"
                                    "sources: {media_dirs: [videos]}\n"
                                    "models:\n  m: {card: cards/m.json, max_batch: 4}\n"
                                    "streams:\n  - {id: a, url: videos/a.mp4, detect: {model: m}}\n");
    cr_assert_eq(vd_config_load(&c, f, "/state", &e), 0, "%s", e.msg);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/cards/m.json", tmp);
    cr_assert_str_eq(c.models[0].card, want);
    cr_assert_eq(c.models[0].max_batch, 4);
    cr_assert_eq(c.models[0].threads, 1);
    snprintf(want, sizeof want, "%s/secrets/token", tmp);
    cr_assert_str_eq(c.token_file, want);
    cr_assert_str_eq(c.store_path, "/state/db/events.db");
    snprintf(want, sizeof want, "%s/videos/a.mp4", tmp);
    cr_assert_str_eq(c.streams[0].url, want, "a relative stream path is made absolute");
    cr_assert_eq(c.streams[0].track, 1, "track defaults on with a model");
    cr_assert_str_eq(c.deepstack_model, "m");
    vd_config_free(&c);
}

/* Each mistake, the file content and the message it must give. */
static const struct {
    const char *yaml, *want;
} mistakes[] = {
    {"http:\n  listen: 127.0.0.1:80\ncolour: blue\n", ":3: colour: unknown key"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    detect: {model: m, treshold: 0.5}\n",
     ":4: streams[0].detect.treshold: unknown key (expected one of: model, threshold"},
    {"models:\n  m: {card: m.json}\nstreams:\n  - id: a\n    url: rtsp://c/1\n"
     "    detect:\n      model: m\n      threshold: 1.5\n",
     ":8: streams[0].detect.threshold: 1.5 is not in [0, 1]"},
    {"models:\n  m: {card: m.json}\nstreams:\n  - id: a\n    url: rtsp://c/1\n"
     "    detect: {model: m, threshold: high}\n",
     ":6: streams[0].detect.threshold: expected a number"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n  - id: b\n    fps: 2\n",
     ":4: streams[1].url: is required"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    backpressure: never\n",
     ":4: streams[0].backpressure: expected drop|block"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n  - id: a\n    url: rtsp://c/2\n",
     ":4: streams[1].id: 'a' is already the id of streams[0]"},
    {"store:\n  path: a.db\n  path: b.db\n", ":3: store.path: duplicate key"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    detect: {model: nope}\n",
     ":4: streams[0].detect.model: no model called 'nope'"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    zones:\n      door: [[0, 0], [1, 1]]\n",
     ":5: streams[0].zones.door: a zone needs 3 to 64 points, not 2"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    zones:\n      door: [[0, 0], [1, 1], [1.5, 0]]\n",
     ":5: streams[0].zones.door[2][0]: 1.5 is not in [0, 1]"},
    {"streams:\n  - id: lobby cam\n    url: rtsp://c/1\n",
     ":2: streams[0].id: 'lobby cam' is not a name"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    realtime: 5\n",
     ":4: streams[0].realtime: expected true or false"},
    {"http:\n  listen: localhost\n", ":2: http.listen: 'localhost' is not HOST:PORT"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    reconnect: {min: 5, max: 2}\n",
     ":4: streams[0].reconnect: max (2 s) is below min (5 s)"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    reconnect: {min: 0}\n",
     ":4: streams[0].reconnect.min: 0 is not in [0.1, 3600]"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n    reconnect: {start: 1}\n",
     ":4: streams[0].reconnect.start: unknown key"},
    {"store:\n  retention: {days: -1}\n", ":2: store.retention.days: -1 is not in [0, 36500]"},
    {"models:\n  m: {threads: 2}\n", ":2: models.m.card: is required"},
    {"models:\n  m: {card: m.json}\ndeepstack_model: x\n", ":3: deepstack_model: no model called 'x'"},
    {"sources:\n  schemes: [rtsp, gopher]\n", ":2: sources.schemes[1]: expected rtsp|"},
    {"streams:\n  id: a\n", ":2: streams: expected a list"},
    {"http: [1, 2]\n", ":1: http: expected a map"},
    {"streams:\n  - id: a\n    url: rtsp://c/1\n  - {id: b, url: [x\n", ":5: did not find expected"},
    {"a: &x 1\nb: *x\n", ":2: aliases (*name) are not supported"},
    {"sources:\n  schemes: [rtsp]\nstreams:\n  - id: a\n    url: /srv/a.mp4\n",
     ":5: streams[0].url: '/srv/a.mp4': scheme 'file' is not in sources.schemes"},
    {"sources:\n  media_dirs: [/srv/video]\nstreams:\n  - id: a\n    url: /etc/passwd\n",
     ":5: streams[0].url: '/etc/passwd' is outside sources.media_dirs (/srv/video)"},
    {"sources:\n  schemes: [file]\nstreams:\n  - id: a\n    url: concat:/etc/passwd|/x\n",
     ":5: streams[0].url: 'concat:/etc/passwd|/x': scheme 'concat' is not in sources.schemes"},
};

Test(config, every_mistake_names_file_line_and_key)
{
    for (size_t i = 0; i < sizeof mistakes / sizeof mistakes[0]; i++) {
        vd_config c;
        vd_error e = {0};
        const char *f = put("bad.yaml", mistakes[i].yaml);
        cr_assert_neq(vd_config_load(&c, f, NULL, &e), 0, "case %zu loaded", i);
        char want[1024];
        snprintf(want, sizeof want, "%s%s", f, mistakes[i].want);
        cr_expect(!strncmp(e.msg, want, strlen(want)), "case %zu:\n got: %s\nwant: %s...", i,
                  e.msg, want);
        cr_assert_eq(c.n_streams + c.n_models, 0, "a failed load leaves the config empty");
    }
}

static vd_config api_cfg(void)
{
    vd_config c;
    vd_error e = {0};
    const char *f = put("api.yaml", "models:\n  m: {card: m.json}\n"
                                    "sources: {media_dirs: [media]}\n");
    cr_assert_eq(vd_config_load(&c, f, NULL, &e), 0, "%s", e.msg);
    return c;
}

static int entry(vd_stream_config *s, const vd_config *c, const char *body, vd_error *e)
{
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    int rc = vd_stream_config_from_json(s, j, c, e);
    json_decref(j);
    return rc;
}

Test(config, json_entries_share_the_validator)
{
    vd_config c = api_cfg();
    vd_stream_config s;
    vd_error e = {0};
    cr_assert_eq(entry(&s, &c, "{\"id\": \"cam1\", \"url\": \"rtsp://u:p@cam/1\", \"fps\": 2,"
                               " \"detect\": {\"model\": \"m\", \"classes\": [\"person\"]},"
                               " \"zones\": {\"door\": [[0,0],[1,0],[1,1]]}}", &e), 0, "%s",
                 e.msg);
    cr_assert_str_eq(s.id, "cam1");
    cr_assert_float_eq(s.fps, 2, 0);
    cr_assert_eq(s.n_zones, 1);
    cr_assert_eq(s.track, 1);
    cr_assert_eq(s.backpressure, VD_BP_DEFAULT);
    vd_stream_config_free(&s);
    static const struct { const char *body, *msg; } bad[] = {
        {"{\"id\": \"a\", \"url\": \"rtsp://c\", \"detect\": {\"model\": \"m\", \"threshold\": 1.5}}",
         "request: detect.threshold: 1.5 is not in [0, 1]"},
        {"{\"id\": \"a\", \"url\": \"rtsp://c\", \"colour\": 1}", "request: colour: unknown key"},
        {"{\"id\": \"a\", \"url\": \"rtsp://c\", \"detect\": {\"model\": \"x\"}}",
         "request: detect.model: no model called 'x'"},
        {"{\"id\": \"a\"}", "request: url: is required"},
        {"{\"id\": \"a\", \"url\": \"rtsp://c\", \"loop\": \"true\"}",
         "request: loop: expected true or false"},
        {"{\"id\": \"a\", \"url\": \"/etc/passwd\"}", "request: url: '/etc/passwd' is outside"},
        {"{\"id\": \"a\", \"url\": \"gopher://c\"}", "request: url: 'gopher://c': scheme 'gopher'"},
        {"[1]", "request: the body must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(entry(&s, &c, bad[i].body, &e), VD_EINVAL, "case %zu", i);
        cr_expect(!strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)), "case %zu: %s", i, e.msg);
    }
    vd_config_free(&c);
}

Test(config, patch_is_a_merge_patch_through_the_same_rules)
{
    vd_config c = api_cfg();
    vd_stream_config s, before;
    vd_error e = {0};
    cr_assert_eq(entry(&s, &c, "{\"id\": \"cam\", \"url\": \"rtsp://c/1\", \"detect\": "
                               "{\"model\": \"m\", \"threshold\": 0.6}, \"zones\": {\"a\": "
                               "[[0,0],[1,0],[1,1]], \"b\": [[0,0],[0,1],[1,1]]}}", &e), 0,
                 "%s", e.msg);
    cr_assert_eq(vd_stream_config_copy(&before, &s, &e), 0);
    cr_assert(vd_stream_config_equal(&before, &s));
    json_t *p = json_loads("{\"detect\": {\"enabled\": false}, \"zones\": {\"a\": null}}", 0, NULL);
    cr_assert_eq(vd_stream_config_patch(&s, p, &c, &e), 0, "%s", e.msg);
    json_decref(p);
    cr_assert_eq(s.detect_enabled, 0);
    cr_assert_str_eq(s.model, "m", "untouched keys stay");
    cr_assert_float_eq(s.threshold, 0.6f, 0);
    cr_assert_eq(s.n_zones, 1);
    cr_assert_str_eq(s.zones[0].name, "b");
    cr_assert_not(vd_stream_config_equal(&before, &s));
    /* a bad patch leaves the entry as it was */
    vd_stream_config kept;
    cr_assert_eq(vd_stream_config_copy(&kept, &s, &e), 0);
    p = json_loads("{\"fps\": -1}", 0, NULL);
    cr_assert_eq(vd_stream_config_patch(&s, p, &c, &e), VD_EINVAL);
    cr_assert_str_eq(e.msg, "request: fps: -1 is not in [0, 1000]");
    json_decref(p);
    cr_assert(vd_stream_config_equal(&kept, &s));
    p = json_loads("{\"id\": \"other\"}", 0, NULL);
    cr_assert_eq(vd_stream_config_patch(&s, p, &c, &e), VD_EINVAL);
    cr_assert_str_eq(e.msg, "request: id: cannot be changed");
    json_decref(p);
    vd_stream_config_free(&kept);
    vd_stream_config_free(&before);
    vd_stream_config_free(&s);
    vd_config_free(&c);
}

Test(config, urls_are_shown_without_credentials)
{
    static const char *const cases[][2] = {
        {"rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://***@10.0.0.5:554/stream1"},
        {"rtsp://admin:p@ss/w@cam/1", "rtsp://***@cam/1"},
        {"http://cam/snap.cgi?user=admin&password=hunter2&res=hd",
         "http://cam/snap.cgi?user=admin&password=***&res=hd"},
        {"https://cam/live?token=abc", "https://cam/live?token=***"},
        {"/srv/video/a.mp4", "/srv/video/a.mp4"},
        {"rtsp://cam/a@b?x=1", "rtsp://***@b?x=1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        vd_url_redact(cases[i][0], out, sizeof out);
        cr_expect_str_eq(out, cases[i][1], "case %zu", i);
    }
    char small[12];
    vd_url_redact("rtsp://user:secret@host/x", small, sizeof small);
    cr_assert_null(strstr(small, "secret"));
    cr_assert_eq(strlen(small), 11);
    /* the JSON form for the API is redacted too */
    vd_config c = api_cfg();
    vd_stream_config s;
    vd_error e = {0};
    cr_assert_eq(entry(&s, &c, "{\"id\": \"a\", \"url\": \"rtsp://u:pw@cam/1\"}", &e), 0);
    json_t *j = vd_stream_config_to_json(&s, 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "url")), "rtsp://***@cam/1");
    json_decref(j);
    vd_stream_config_free(&s);
    vd_config_free(&c);
}

Test(config, source_policy_cannot_be_escaped)
{
    char media[PATH_MAX], outside[PATH_MAX], url[PATH_MAX * 2];
    snprintf(media, sizeof media, "%s/media", tmp);
    snprintf(outside, sizeof outside, "%s/private", tmp);
    cr_assert_eq(mkdir(media, 0755), 0);
    cr_assert_eq(mkdir(outside, 0755), 0);
    put("media/ok.mp4", "x");
    put("private/secret.mp4", "x");
    snprintf(url, sizeof url, "%s/secret.mp4", outside);
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/link.mp4", media);
    cr_assert_eq(symlink(url, link), 0);
    snprintf(link, sizeof link, "%s/dirlink", media);
    cr_assert_eq(symlink(outside, link), 0);
    vd_config c = api_cfg();
    vd_error e = {0};
    static const struct { const char *rel; int ok; } cases[] = {
        {"media/ok.mp4", 1},
        {"media/not-yet.mp4", 1},             /* a file to come, inside */
        {"media/sub/later.mp4", 1},
        {"media/../private/secret.mp4", 0},   /* .. out of the dir */
        {"media/link.mp4", 0},                /* symlink to a file outside */
        {"media/dirlink/secret.mp4", 0},      /* symlinked directory */
        {"media/missing/../../private/secret.mp4", 0}, /* .. after a missing dir */
        {"private/secret.mp4", 0},
        {"mediaX/a.mp4", 0},                  /* a sibling sharing the prefix */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(url, sizeof url, "%s/%s", tmp, cases[i].rel);
        int rc = vd_config_source_allowed(&c, url, &e);
        cr_expect_eq(rc == 0, cases[i].ok, "case %zu %s: %s", i, cases[i].rel, rc ? e.msg : "ok");
        snprintf(url, sizeof url, "file:%s/%s", tmp, cases[i].rel);
        cr_expect_eq(vd_config_source_allowed(&c, url, &e) == 0, cases[i].ok, "file: case %zu", i);
    }
    cr_assert_eq(vd_config_source_allowed(&c, "/dev/../etc/passwd", &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "'/etc/passwd' is outside"), "%s", e.msg);
    cr_assert_eq(vd_config_source_allowed(&c, "/dev/video0", &e), 0, "%s", e.msg);
    cr_assert_eq(vd_config_source_allowed(&c, "rtsp://cam/1", &e), 0);
    cr_assert_eq(vd_config_source_allowed(&c, "subfile,,start,0,end,0,,:/etc/passwd", &e),
                 VD_EINVAL, "FFmpeg protocol prefixes are schemes, refused unless listed");
    cr_assert_eq(vd_config_source_allowed(&c, "relative.mp4", &e), VD_EINVAL);
    char scheme[16];
    cr_assert_eq(vd_config_url_scheme("RTSP://x", scheme, sizeof scheme), 0);
    cr_assert_str_eq(scheme, "rtsp");
    cr_assert(vd_config_url_is_live("/dev/video0"));
    cr_assert_not(vd_config_url_is_live("file:/a.mp4"));
    vd_config_free(&c);
}

Test(config, source_hosts_and_reader_rules)
{
    put("hosts.yaml", "sources:\n  hosts: [cam1.lan, 10.0.0.5, '::1']\n"
                      "streams:\n  - {id: a, url: 'rtsp://user:pw@CAM1.lan:8554/s'}\n");
    vd_config c;
    vd_error e = {0};
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/hosts.yaml", tmp);
    cr_assert_eq(vd_config_load(&c, path, tmp, &e), 0, "%s", e.msg);
    cr_assert_eq(c.n_hosts, 3);
    cr_expect_eq(vd_config_source_allowed(&c, "http://10.0.0.5/video.mjpg", &e), 0, "%s", e.msg);
    cr_expect_eq(vd_config_source_allowed(&c, "rtsp://[::1]:554/x", &e), 0, "%s", e.msg);
    cr_assert_eq(vd_config_source_allowed(&c, "rtsp://admin:secret@10.0.0.6/x", &e), VD_EINVAL);
    cr_assert_str_eq(e.msg, "'rtsp://***@10.0.0.6/x': host '10.0.0.6' is not in sources.hosts");
    cr_assert_eq(vd_config_source_allowed(&c, "rtsp://cam1.lan.evil/x", &e), VD_EINVAL);
    /* what the reader of a stream may open */
    vd_source_rules r;
    cr_assert_eq(vd_source_rules_init(&r, &c, "http://cam1.lan/live.m3u8", &e), 0, "%s", e.msg);
    cr_assert_str_eq(r.protocols, "http,https,tcp,tls");
    cr_assert_null(strstr(r.formats, "concat"));
    cr_expect_eq(vd_source_rules_allow(&r, "http://cam1.lan:80/seg1.ts", &e), 0, "%s", e.msg);
    cr_assert_eq(vd_source_rules_allow(&r, "http://cam1.lan:8080/seg1.ts", &e), VD_EINVAL);
    cr_assert_str_eq(e.msg, "'http://cam1.lan:8080/seg1.ts' is not on the source's own host "
                            "(cam1.lan:80)");
    cr_assert_eq(vd_source_rules_allow(&r, "https://cam1.lan/seg1.ts", &e), VD_EINVAL);
    vd_source_rules_free(&r);
    vd_config_free(&c);
    cr_assert_eq(vd_config_load(&c, path, tmp, &e), 0, "%s", e.msg);
    free(c.media_dirs[0]);
    c.media_dirs[0] = strdup(tmp);
    c.n_media_dirs = 1;
    snprintf(path, sizeof path, "%s/list.m3u8", tmp);
    cr_assert_eq(vd_source_rules_init(&r, &c, path, &e), 0, "%s", e.msg);
    cr_assert_str_eq(r.protocols, "file");
    snprintf(path, sizeof path, "file:%s/seg.ts", tmp);
    cr_expect_eq(vd_source_rules_allow(&r, path, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_source_rules_allow(&r, "/etc/passwd", &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "'/etc/passwd' is outside sources.media_dirs"), "%s", e.msg);
    cr_assert_eq(vd_source_rules_allow(&r, "http://cam1.lan/x.ts", &e), VD_EINVAL);
    vd_source_rules_free(&r);
    vd_config_free(&c);
}
