/*  labels.c - see labels.h. */
#include "labels.h"

const char *cchc_tier_label_vi(Cchc__Tier tier)
{
    switch (tier) {
    case CCHC__TIER__TIER_EXCELLENT:
        return "Hoàn thành xuất sắc";
    case CCHC__TIER__TIER_GOOD:
        return "Hoàn thành tốt";
    case CCHC__TIER__TIER_COMPLETED:
        return "Hoàn thành";
    case CCHC__TIER__TIER_NOT_COMPLETED:
        return "Không hoàn thành";
    default:
        return "Chưa đánh giá";
    }
}

const char *cchc_tier_name(Cchc__Tier tier)
{
    switch (tier) {
    case CCHC__TIER__TIER_EXCELLENT:
        return "excellent";
    case CCHC__TIER__TIER_GOOD:
        return "good";
    case CCHC__TIER__TIER_COMPLETED:
        return "completed";
    case CCHC__TIER__TIER_NOT_COMPLETED:
        return "not_completed";
    default:
        return "unrated";
    }
}

const char *cchc_alert_kind_label_vi(Cchc__AlertKind kind)
{
    switch (kind) {
    case CCHC__ALERT_KIND__ALERT_REMINDER:
        return "Nhắc hạn";
    case CCHC__ALERT_KIND__ALERT_OVERDUE:
        return "Quá hạn";
    case CCHC__ALERT_KIND__ALERT_ESCALATION:
        return "Báo cáo vượt cấp";
    case CCHC__ALERT_KIND__ALERT_RESOLVED:
        return "Đã xử lý";
    case CCHC__ALERT_KIND__ALERT_TIER_DROP:
        return "Tụt xếp loại";
    case CCHC__ALERT_KIND__ALERT_RANK_DROP:
        return "Tụt hạng";
    default:
        return "?";
    }
}

const char *cchc_alert_kind_name(Cchc__AlertKind kind)
{
    switch (kind) {
    case CCHC__ALERT_KIND__ALERT_REMINDER:
        return "reminder";
    case CCHC__ALERT_KIND__ALERT_OVERDUE:
        return "overdue";
    case CCHC__ALERT_KIND__ALERT_ESCALATION:
        return "escalation";
    case CCHC__ALERT_KIND__ALERT_RESOLVED:
        return "resolved";
    case CCHC__ALERT_KIND__ALERT_TIER_DROP:
        return "tier_drop";
    case CCHC__ALERT_KIND__ALERT_RANK_DROP:
        return "rank_drop";
    default:
        return "unknown";
    }
}
