/*  errors.c - the standard Vietnamese and English message of every error code.

    One table indexed by the wire enum holds each code's stable name and its
    two messages; test_errors checks that every value of the enum has an
    entry. Messages with their detail are cut to the fixed buffers of
    cchc_err_t at a UTF-8 character boundary, never inside a character.
*/
#include "errors.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *vi;
    const char *en;
} error_text_t;

//  Indexed by Cchc__ErrorCode; every code of errors.proto has an entry.
static const error_text_t error_texts[] = {
    [CCHC__ERROR_CODE__ERR_NONE] = {"none", "Không có lỗi", "no error"},
    [CCHC__ERROR_CODE__ERR_MALFORMED] = {"malformed", "Thông điệp không đúng định dạng", "malformed message"},
    [CCHC__ERROR_CODE__ERR_OVERSIZED] = {"oversized", "Thông điệp vượt quá kích thước cho phép",
                                         "message too large"},
    [CCHC__ERROR_CODE__ERR_UNSUPPORTED_VERSION] = {"unsupported_version",
                                                   "Phiên bản giao thức không được hỗ trợ",
                                                   "unsupported protocol version"},
    [CCHC__ERROR_CODE__ERR_UNKNOWN_TYPE] = {"unknown_type", "Loại thông điệp không được dịch vụ này xử lý",
                                            "message type not served here"},
    [CCHC__ERROR_CODE__ERR_MISSING_FIELD] = {"missing_field", "Thiếu thông tin bắt buộc", "missing field"},
    [CCHC__ERROR_CODE__ERR_UNKNOWN_WARD] = {"unknown_ward", "Phường không tồn tại", "unknown ward"},
    [CCHC__ERROR_CODE__ERR_UNKNOWN_UNIT] = {"unknown_unit", "Cơ quan, đơn vị không tồn tại", "unknown unit"},
    [CCHC__ERROR_CODE__ERR_UNKNOWN_TASK] = {"unknown_task", "Nhiệm vụ không tồn tại", "unknown task"},
    [CCHC__ERROR_CODE__ERR_TASK_NOT_OWNED] = {"task_not_owned", "Nhiệm vụ không thuộc đơn vị gửi cập nhật",
                                              "task belongs to another unit"},
    [CCHC__ERROR_CODE__ERR_OUT_OF_RANGE] = {"out_of_range", "Giá trị nằm ngoài phạm vi cho phép",
                                            "value out of range"},
    [CCHC__ERROR_CODE__ERR_DUPLICATE] = {"duplicate", "Dữ liệu đã được đăng ký trước đó",
                                         "already registered"},
    [CCHC__ERROR_CODE__ERR_INVALID_STATE] = {"invalid_state",
                                             "Không thực hiện được ở trạng thái hiện tại của nhiệm vụ",
                                             "not allowed in the task's current state"},
    [CCHC__ERROR_CODE__ERR_UNKNOWN_AREA] = {"unknown_area", "Lĩnh vực cải cách không tồn tại",
                                            "unknown area"},
    [CCHC__ERROR_CODE__ERR_UNKNOWN_OFFICIAL] = {"unknown_official", "Cán bộ không tồn tại",
                                                "unknown official"},
    [CCHC__ERROR_CODE__ERR_CLOCK_NOT_MANUAL] = {"clock_not_manual", "Dịch vụ không chạy với đồng hồ thủ công",
                                                "the service does not run a manual clock"},
    [CCHC__ERROR_CODE__ERR_CLOCK_BACKWARDS] = {"clock_backwards",
                                               "Không được lùi đồng hồ về thời điểm trước đó",
                                               "the clock cannot go back"},
    [CCHC__ERROR_CODE__ERR_TIME_BEFORE_ASSIGNED] = {"time_before_assigned",
                                                    "Thời điểm cập nhật trước khi nhiệm vụ được giao",
                                                    "time before the task was assigned"},
    [CCHC__ERROR_CODE__ERR_BUSY] = {"busy", "Hệ thống đang bận, vui lòng gửi lại sau", "busy, retry later"},
    [CCHC__ERROR_CODE__ERR_WRONG_SHARD] = {"wrong_shard", "Phường do máy chủ khác phụ trách",
                                           "ward served by another shard"},
    [CCHC__ERROR_CODE__ERR_INTERNAL] = {"internal", "Lỗi nội bộ của hệ thống", "internal error"},
    [CCHC__ERROR_CODE__ERR_SEQUENCE_GAP] = {"sequence_gap",
                                            "Số thứ tự lần gửi không liên tục, cần gửi lại từ số còn thiếu",
                                            "producer sequence gap"},
    [CCHC__ERROR_CODE__ERR_STALE_SEQUENCE] = {"stale_sequence",
                                              "Số thứ tự lần gửi đã cũ, lần gửi này đã được xử lý trước đó",
                                              "stale producer sequence"},
    [CCHC__ERROR_CODE__ERR_NOT_PERMITTED] = {"not_permitted", "Không có quyền thực hiện thao tác này",
                                             "not permitted for this sender"},
};

#define ERROR_TEXT_COUNT (sizeof(error_texts) / sizeof(error_texts[0]))

//  A code outside the table (a newer peer's code, a bad cast).
static const error_text_t unknown_code_text = {"unknown_code", "Lỗi không xác định", "unknown error"};

static const error_text_t *text_of(Cchc__ErrorCode code)
{
    if ((unsigned)code < ERROR_TEXT_COUNT && error_texts[code].name)
        return &error_texts[code];
    return &unknown_code_text;
}

//  Copy src into dst (size bytes) without cutting a UTF-8 sequence.
static void copy_utf8(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--; //  src[n] is a continuation byte: back up to a lead byte
    }
    memcpy(dst, src, n);
    dst[n] = 0;
}

int cchc_err_set_vi_en(cchc_err_t *err, Cchc__ErrorCode code, int index, const char *detail_vi,
                       const char *detail_en)
{
    assert(err);
    const error_text_t *t = text_of(code);
    char buf[512];
    err->code = code;
    err->index = index;
    snprintf(buf, sizeof(buf), detail_vi && *detail_vi ? "%s: %s" : "%s", t->vi, detail_vi ? detail_vi : "");
    copy_utf8(err->vi, sizeof(err->vi), buf);
    snprintf(buf, sizeof(buf), detail_en && *detail_en ? "%s: %s" : "%s", t->en, detail_en ? detail_en : "");
    copy_utf8(err->en, sizeof(err->en), buf);
    return -1;
}

int cchc_err_set(cchc_err_t *err, Cchc__ErrorCode code, int index, const char *detail)
{
    return cchc_err_set_vi_en(err, code, index, detail, detail);
}

void cchc_err_clear(cchc_err_t *err)
{
    assert(err);
    err->code = CCHC__ERROR_CODE__ERR_NONE;
    err->index = -1;
    err->vi[0] = err->en[0] = 0;
}

const char *cchc_err_name(Cchc__ErrorCode code)
{
    return text_of(code)->name;
}
