/*  labels.h - the Vietnamese words people read for tiers and alert kinds,
    and stable machine names, in one place for the services and the CLI.
    (Task status and phase labels live with the model that derives them.) */
#ifndef CCHC_LABELS_H
#define CCHC_LABELS_H

#include "notify.pb-c.h"
#include "scoring.pb-c.h"

//  "Hoàn thành xuất sắc", "Hoàn thành tốt", "Hoàn thành", "Không hoàn thành",
//  "Chưa đánh giá".
const char *cchc_tier_label_vi(Cchc__Tier tier);

//  "excellent", "good", "completed", "not_completed", "unrated".
const char *cchc_tier_name(Cchc__Tier tier);

//  "Nhắc hạn", "Quá hạn", "Báo cáo vượt cấp", "Đã xử lý", "Tụt xếp loại",
//  "Tụt hạng".
const char *cchc_alert_kind_label_vi(Cchc__AlertKind kind);

//  "reminder", "overdue", "escalation", "resolved", "tier_drop",
//  "rank_drop" ("unknown" otherwise).
const char *cchc_alert_kind_name(Cchc__AlertKind kind);

#endif
