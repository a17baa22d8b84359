/* report_model: the shape of the office's report object (report_model.h). */
#include "c2c/report_model.h"

#include <stdlib.h>
#include <string.h>

const char *const REPORT_LANGS[REPORT_NLANGS] = {"ar", "en", "es", "fr"};
const char *const REPORT_STATUSES[REPORT_NSTATUSES] = {"proposed", "approved", "ongoing", "completed", "cancelled"};
const char *const REPORT_REVIEW[REPORT_NREVIEW] = {"draft", "submitted", "validated"};
