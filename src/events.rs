//! Event types of Janus' event handlers (`events.c`, `eventhandler.h`): the bit each kind
//! of event has in a handler's `events_mask`, and its label/name.

/// `JANUS_EVENT_TYPE_ALL`: a 32-bit all-ones mask (stored in a 64-bit `janus_flags`).
pub const ALL: u64 = 0xffff_ffff;

/// (type bit, label used in `events` configuration lists, display name), as Janus has them.
pub const EVENT_TYPES: &[(u32, &str, &str)] = &[
    (0, "no_events", "No events"),
    (1 << 0, "sessions", "Sessions"),
    (1 << 1, "handles", "Handles"),
    (1 << 2, "external", "External"),
    (1 << 3, "jsep", "Jsep"),
    (1 << 4, "webrtc", "WebRTC"),
    (1 << 5, "media", "Media"),
    (1 << 6, "plugins", "Plugins"),
    (1 << 7, "transports", "Transports"),
    (1 << 8, "core", "Core"),
];

/// The mask an `events = "..."` setting selects: "none", "all" (any case), or a comma
/// separated list of labels (blanks before a label are skipped, unknown labels ignored).
pub fn mask_from_list(list: &str) -> u64 {
    if list.eq_ignore_ascii_case("none") {
        return 0;
    }
    if list.eq_ignore_ascii_case("all") {
        return ALL;
    }
    list.split(',')
        .map(|item| item.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b'))
        .filter_map(|item| {
            EVENT_TYPES
                .iter()
                .find(|(_, label, _)| label.eq_ignore_ascii_case(item))
        })
        .fold(0, |mask, (bit, ..)| mask | u64::from(*bit))
}

/// The configuration label of an event type (64 -> "plugins"); `None` for anything that is
/// not exactly one of the types.
pub fn type_to_label(event_type: i32) -> Option<&'static str> {
    EVENT_TYPES
        .iter()
        .find(|(bit, ..)| *bit as i32 == event_type)
        .map(|(_, label, _)| *label)
}

/// The display name of an event type (64 -> "Plugins").
pub fn type_to_name(event_type: i32) -> Option<&'static str> {
    EVENT_TYPES
        .iter()
        .find(|(bit, ..)| *bit as i32 == event_type)
        .map(|(.., name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_from_lists() {
        assert_eq!(mask_from_list("none"), 0);
        assert_eq!(mask_from_list("ALL"), 0xffff_ffff);
        assert_eq!(mask_from_list("sessions,handles"), 3);
        assert_eq!(mask_from_list("plugins, Transports,core"), 64 | 128 | 256);
        assert_eq!(
            mask_from_list("media ,webrtc"),
            16,
            "trailing blanks do not match"
        );
        assert_eq!(mask_from_list("bogus,jsep,,external"), 8 | 4);
        assert_eq!(mask_from_list("no_events"), 0);
        assert_eq!(mask_from_list(""), 0);
    }

    #[test]
    fn labels_and_names() {
        assert_eq!(type_to_label(64), Some("plugins"));
        assert_eq!(type_to_name(64), Some("Plugins"));
        assert_eq!(type_to_label(0), Some("no_events"));
        assert_eq!(type_to_name(0), Some("No events"));
        assert_eq!(type_to_name(16), Some("WebRTC"));
        assert_eq!(type_to_label(3), None);
        assert_eq!(type_to_name(-1), None);
    }
}
