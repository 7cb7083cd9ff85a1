/* yolov5.c -- the YOLOv5 adapter: one output [B,N,5+C], a row per anchor
 * of cx,cy,w,h (input px), objectness and C class scores; score =
 * objectness * class score. Its methods are yolo.c's, shared with YOLOv8:
 * what is YOLOv5's own is this layout. */
#include "adapter.h"

static const det_yolo_layout rows = {.values_dim = 2, .objectness = 1};

const vd_det_adapter det_yolov5 = {
    .kind = VD_DET_YOLOV5,
    .name = "yolov5",
    .layout = "float32 [B,N,5+C] (yolov5)",
    .nms = 1,
    .params = &rows,
    .check = det_yolo_check,
    .looks_like = det_yolo_looks_like,
    .decode = det_yolo_decode,
};
