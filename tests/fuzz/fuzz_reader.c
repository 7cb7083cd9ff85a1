/* fuzz_reader.c -- libFuzzer target for the frame reader on arbitrary bytes
 * (pipeline/reader*.c through vd_reader_open_buffer, i.e. a custom
 * AVIOContext: FFmpeg's demuxers and decoders as visiond drives them).
 *
 * The first input byte picks the demuxer: probing (FFmpeg guesses, as for
 * a file or a camera) or one forced (mov/mp4, matroska, avi, mpegts, raw
 * h264, hevc, mjpeg, mpjpeg -- MJPEG over HTTP, rtp-less formats cameras
 * send), and two option bits: audio instead of video, and a seek back to
 * the first frame's pts after reading. The rest is the file. Up to 24
 * frames are read and converted to RGB24 (what the analysis does). Every
 * call must return 0 or a negative code with a message, and an opened
 * reader must describe its selected stream. Decoding is single-threaded,
 * with a 2 s read timeout so that a slow input is an error, not a hang. */
#include <libavutil/log.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "pipeline/reader.h"

static const char *const formats[] = {NULL,     "mov",     "matroska", "avi",
                                      "mpegts", "h264",    "hevc",     "mjpeg",
                                      "mpjpeg", "flv",     "rawvideo", NULL};
enum { N_FORMATS = sizeof formats / sizeof formats[0], MAX_FRAMES = 24 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

static void read_frames(vd_reader *r, int n, double *first_pts)
{
    static uint8_t rgb[4096 * 4096 * 3];
    for (int i = 0; i < n; i++) {
        vd_frame f;
        vd_error err = {0};
        int rc = vd_reader_next(r, &f, &err);
        if (rc == VD_EOF)
            return;
        vd_fuzz_check_error(rc, err.msg);
        if (rc)
            return;
        if (first_pts && i == 0)
            *first_pts = f.pts;
        if (f.type != VD_MEDIA_VIDEO)
            continue;
        vd_convert c = {.fmt = VD_PIX_RGB24, .width = f.width > 64 ? 64 : 0,
                        .height = f.width > 64 ? 48 : 0};
        size_t need = vd_convert_size(&c, &f);
        if (need <= sizeof rgb) {
            rc = vd_reader_convert(r, &f, &c, rgb, need, &err);
            vd_fuzz_check_error(rc, err.msg);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.format = formats[(sel & 0x0f) % N_FORMATS];
    o.media = (sel & 0x10) ? VD_MEDIA_AUDIO : VD_MEDIA_VIDEO;
    o.threads = 1;
    o.open_timeout = o.read_timeout = 2;
    o.av_options = "probesize=65536:analyzeduration=500000";
    vd_reader *r;
    vd_error err = {0};
    int rc = vd_reader_open_buffer(&r, "fuzz", data + 1, size - 1, &o, &err);
    vd_fuzz_check_error(rc, err.msg);
    if (rc) {
        if (r)
            abort();
        return 0;
    }
    vd_format_info fi;
    vd_reader_format_info(r, &fi);
    vd_stream_info si;
    rc = vd_reader_stream_info(r, fi.selected_stream, &si, &err);
    if (rc || !fi.format || !si.codec)
        abort();
    double pts = 0;
    read_frames(r, MAX_FRAMES, &pts);
    if (sel & 0x20) {
        rc = vd_reader_seek(r, pts, VD_SEEK_ACCURATE, &err);
        vd_fuzz_check_error(rc, err.msg);
        if (!rc)
            read_frames(r, 4, NULL);
    }
    vd_reader_stats st;
    vd_reader_stats_get(r, &st);
    vd_reader_close(&r);
    if (r)
        abort();
    return 0;
}
