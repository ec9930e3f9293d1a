//! Janus API error codes and their default reasons (`apierror.h` of Janus 1.1.2).

/// Every error code the Janus and Admin APIs can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ApiError {
    Ok = 0,
    Unauthorized = 403,
    UnauthorizedPlugin = 405,
    Unknown = 490,
    TransportSpecific = 450,
    MissingRequest = 452,
    UnknownRequest = 453,
    InvalidJson = 454,
    InvalidJsonObject = 455,
    MissingMandatoryElement = 456,
    InvalidRequestPath = 457,
    SessionNotFound = 458,
    HandleNotFound = 459,
    PluginNotFound = 460,
    PluginAttach = 461,
    PluginMessage = 462,
    PluginDetach = 463,
    JsepUnknownType = 464,
    JsepInvalidSdp = 465,
    TrickleInvalidStream = 466,
    InvalidElementType = 467,
    SessionConflict = 468,
    UnexpectedAnswer = 469,
    TokenNotFound = 470,
    WebrtcState = 471,
    NotAcceptingSessions = 472,
}

impl ApiError {
    pub const ALL: [ApiError; 26] = [
        ApiError::Ok,
        ApiError::Unauthorized,
        ApiError::UnauthorizedPlugin,
        ApiError::Unknown,
        ApiError::TransportSpecific,
        ApiError::MissingRequest,
        ApiError::UnknownRequest,
        ApiError::InvalidJson,
        ApiError::InvalidJsonObject,
        ApiError::MissingMandatoryElement,
        ApiError::InvalidRequestPath,
        ApiError::SessionNotFound,
        ApiError::HandleNotFound,
        ApiError::PluginNotFound,
        ApiError::PluginAttach,
        ApiError::PluginMessage,
        ApiError::PluginDetach,
        ApiError::JsepUnknownType,
        ApiError::JsepInvalidSdp,
        ApiError::TrickleInvalidStream,
        ApiError::InvalidElementType,
        ApiError::SessionConflict,
        ApiError::UnexpectedAnswer,
        ApiError::TokenNotFound,
        ApiError::WebrtcState,
        ApiError::NotAcceptingSessions,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i32) -> Option<ApiError> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The reason Janus gives when the caller supplies none.
    pub fn reason(self) -> &'static str {
        match self {
            ApiError::Ok => "Success",
            ApiError::Unauthorized => "Unauthorized request (wrong or missing secret/token)",
            ApiError::UnauthorizedPlugin => "Unauthorized access to plugin (token is not allowed to)",
            ApiError::Unknown => "Unknown error",
            ApiError::TransportSpecific => "Transport specific error",
            ApiError::MissingRequest => "Missing request",
            ApiError::UnknownRequest => "Unknown request",
            ApiError::InvalidJson => "Invalid JSON",
            ApiError::InvalidJsonObject => "Invalid JSON Object",
            ApiError::MissingMandatoryElement => "Missing mandatory element",
            ApiError::InvalidRequestPath => "Invalid path for this request",
            ApiError::SessionNotFound => "Session not found",
            ApiError::HandleNotFound => "Handle not found",
            ApiError::PluginNotFound => "Plugin not found",
            ApiError::PluginAttach => "Error attaching plugin",
            ApiError::PluginMessage => "Error sending message to plugin",
            ApiError::PluginDetach => "Error detaching from plugin",
            ApiError::JsepUnknownType => "Unsupported JSEP type",
            ApiError::JsepInvalidSdp => "Invalid SDP",
            ApiError::TrickleInvalidStream => "Invalid stream",
            ApiError::InvalidElementType => "Invalid element type",
            ApiError::SessionConflict => "Session ID already in use",
            ApiError::UnexpectedAnswer => "Unexpected ANSWER (no OFFER)",
            ApiError::TokenNotFound => "Token not found",
            ApiError::WebrtcState => "Wrong WebRTC state",
            ApiError::NotAcceptingSessions => "Currently not accepting new sessions",
        }
    }
}

/// `janus_get_api_error`: the default reason of a code, "Unknown error" for any other number.
pub fn reason_for_code(code: i32) -> &'static str {
    ApiError::from_code(code).map_or("Unknown error", ApiError::reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for e in ApiError::ALL {
            assert_eq!(ApiError::from_code(e.code()), Some(e));
        }
    }

    #[test]
    fn unknown_codes_read_unknown_error() {
        assert_eq!(reason_for_code(1), "Unknown error");
        assert_eq!(reason_for_code(-1), "Unknown error");
        assert_eq!(reason_for_code(458), "Session not found");
        assert_eq!(reason_for_code(0), "Success");
    }
}
