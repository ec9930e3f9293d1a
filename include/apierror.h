/* Janus 1.1.2 ABI: error codes of the Janus API (written for this project). */
#ifndef JANUS_API_ERROR_H
#define JANUS_API_ERROR_H

#define JANUS_OK                                0
#define JANUS_ERROR_UNAUTHORIZED                403
#define JANUS_ERROR_UNAUTHORIZED_PLUGIN         405
#define JANUS_ERROR_UNKNOWN                     490
#define JANUS_ERROR_TRANSPORT_SPECIFIC          450
#define JANUS_ERROR_MISSING_REQUEST             452
#define JANUS_ERROR_UNKNOWN_REQUEST             453
#define JANUS_ERROR_INVALID_JSON                454
#define JANUS_ERROR_INVALID_JSON_OBJECT         455
#define JANUS_ERROR_MISSING_MANDATORY_ELEMENT   456
#define JANUS_ERROR_INVALID_REQUEST_PATH        457
#define JANUS_ERROR_SESSION_NOT_FOUND           458
#define JANUS_ERROR_HANDLE_NOT_FOUND            459
#define JANUS_ERROR_PLUGIN_NOT_FOUND            460
#define JANUS_ERROR_PLUGIN_ATTACH               461
#define JANUS_ERROR_PLUGIN_MESSAGE              462
#define JANUS_ERROR_PLUGIN_DETACH               463
#define JANUS_ERROR_JSEP_UNKNOWN_TYPE           464
#define JANUS_ERROR_JSEP_INVALID_SDP            465
#define JANUS_ERROR_TRICKE_INVALID_STREAM       466   /* sic: the upstream name is misspelled */
#define JANUS_ERROR_INVALID_ELEMENT_TYPE        467
#define JANUS_ERROR_SESSION_CONFLICT            468
#define JANUS_ERROR_UNEXPECTED_ANSWER           469
#define JANUS_ERROR_TOKEN_NOT_FOUND             470
#define JANUS_ERROR_WEBRTC_STATE                471
#define JANUS_ERROR_NOT_ACCEPTING_SESSIONS      472

/* Human readable text for one of the codes above (static string). */
const char *janus_get_api_error(int error);

#endif
