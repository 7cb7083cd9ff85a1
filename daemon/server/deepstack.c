/* deepstack.c -- the DeepStack / CodeProject.AI object detection API, so
 * Blue Iris, Home Assistant and Frigate's deepstack detector work
 * unchanged: POST /v1/vision/detection and /v1/vision/custom/{model}.
 *
 * Design: the request is a form (libmicrohttpd's post processor parses
 * multipart/form-data and urlencoded bodies into the fields image,
 * min_confidence and api_key); the answer keeps DeepStack's shape exactly
 * (integer pixel corners, sorted by confidence, highest first: Frigate
 * stops reading at the first low score), and errors are DeepStack's
 * {"success": false, "error"} with its statuses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

static json_t *format_deepstack(vd_req *r, const vd_image_result *res, unsigned *status)
{
    (void)r;
    if (res->status) {
        *status = res->status == VD_EFORMAT ? 400 : vd_api_status_of(res->status);
        return json_pack("{s:b,s:s,s:i}", "success", 0, "error",
                         res->status == VD_EFORMAT ? "invalid image file" : res->error, "code",
                         (int)*status);
    }
    json_t *preds = json_array();
    for (int i = 0; i < res->n; i++) { /* the runtime sorts by score, highest first */
        const vd_image_detection *d = &res->dets[i];
        json_array_append_new(
            preds, json_pack("{s:s,s:f,s:I,s:I,s:I,s:I}", "label", d->label, "confidence",
                             round((double)d->score * 10000) / 10000, "x_min", (json_int_t)lroundf(d->box[0]),
                             "y_min", (json_int_t)lroundf(d->box[1]), "x_max",
                             (json_int_t)lroundf(d->box[2]), "y_max",
                             (json_int_t)lroundf(d->box[3])));
    }
    *status = 200;
    double ms = (double)(uv_hrtime() - r->t0_ns) / 1e6;
    json_t *o = json_pack("{s:b,s:o,s:i,s:f,s:f,s:f,s:i}", "success", 1, "predictions", preds,
                          "count", res->n, "duration", ms / 1000.0, "inferenceMs",
                          res->inference_ms, "processMs", ms, "code", 200);
    return vd_api_mark_damaged(o, res);
}

static enum MHD_Result deepstack(vd_req *r, const char *model)
{
    /* the api_key field, or the API's bearer token */
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    int ok = vd_api_token_ok(r->srv, r->f_api_key.data, r->f_api_key.len);
    if (!ok && auth && !strncasecmp(auth, "Bearer ", 7))
        ok = vd_api_token_ok(r->srv, auth + 7, strlen(auth + 7));
    if (!ok)
        return vd_api_error(r, 401, "incorrect api key");
    if (!r->f_image.seen || !r->f_image.len)
        return vd_api_error(r, 400, "no image file: send the image in the form field 'image'");
    double min_conf = 0.4;
    if (r->f_min_confidence.len) {
        char *end;
        min_conf = strtod(r->f_min_confidence.data, &end);
        if (*end || !isfinite(min_conf) || min_conf < 0 || min_conf > 1)
            return vd_api_error(r, 400, "min_confidence: '%s' is not a number in [0, 1]",
                                r->f_min_confidence.data);
    }
    return vd_api_detect_start(r, model, (float)min_conf, r->f_image.data, r->f_image.len,
                               format_deepstack);
}

enum MHD_Result vd_api_deepstack_detection(vd_req *r)
{
    return deepstack(r, NULL);
}

enum MHD_Result vd_api_deepstack_custom(vd_req *r)
{
    return deepstack(r, r->params[0]);
}
