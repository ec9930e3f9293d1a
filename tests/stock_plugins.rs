//! The stock plugins end to end, without WebRTC: a gateway binary (ours by default, see
//! `support::gateway::binary_under_test`) runs on a temporary configs folder with only the
//! stock HTTP transport, and the tests drive VideoRoom, AudioBridge, TextRoom and Streaming
//! through the Janus API over REST and long polls. Streaming mountpoints are fed synthetic
//! RTP over loopback and recorded; the recordings are converted with `janus-pp-rec` and
//! checked with `ffprobe`, and compared with what `/usr/bin/janus` records from the same
//! input.

mod support;

use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use janus::config::{Config, Kind};
use janus::json::Json;
use support::gateway::{binary_under_test, free_port, wait_udp_drained, ConfigsFolder, Gateway, Handle, REFERENCE_BINARY};

const ADMIN_KEY: &str = "plugin-admin-key";

/// The plugin-specific facts of the room-management API the three room plugins share:
/// their error codes, the value of their reply's `<plugin>` field on errors, and what a
/// room in their configuration file must have besides a description and secret.
struct RoomPlugin {
    name: &'static str,
    mandatory_room_settings: &'static str,
    error_status: &'static str,
    missing_element: i64,
    no_such_room: i64,
    room_exists: i64,
    unauthorized: i64,
}

const VIDEOROOM: RoomPlugin = RoomPlugin {
    name: "videoroom",
    mandatory_room_settings: "",
    error_status: "event",
    missing_element: 429,
    no_such_room: 426,
    room_exists: 427,
    unauthorized: 433,
};
const AUDIOBRIDGE: RoomPlugin = RoomPlugin {
    name: "audiobridge",
    mandatory_room_settings: "\tsampling_rate = 16000\n",
    error_status: "event",
    missing_element: 483,
    no_such_room: 485,
    room_exists: 486,
    unauthorized: 489,
};
const TEXTROOM: RoomPlugin = RoomPlugin {
    name: "textroom",
    mandatory_room_settings: "",
    error_status: "error",
    missing_element: 413,
    no_such_room: 417,
    room_exists: 418,
    unauthorized: 419,
};

fn str_of<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn int_of(v: &Json, key: &str) -> Option<i64> {
    v.get(key).and_then(Json::as_i64)
}

fn array_of<'a>(v: &'a Json, key: &str) -> &'a [Json] {
    match v.get(key) {
        Some(Json::Array(items)) => items,
        other => panic!("no array {key} in {v:?}: {other:?}"),
    }
}

impl RoomPlugin {
    fn package(&self) -> String {
        format!("janus.plugin.{}", self.name)
    }

    fn config_name(&self) -> String {
        format!("janus.plugin.{}.jcfg", self.name)
    }

    /// Asserts that `data` is a successful reply with the given `<plugin>` status.
    fn assert_ok(&self, data: &Json, status: &str) {
        assert_eq!(str_of(data, self.name), Some(status), "{}: {data:?}", self.name);
        assert_eq!(data.get("error_code"), None, "{}: {data:?}", self.name);
    }

    /// Asserts that `data` is the plugin's error `code` with message `error`.
    fn assert_error(&self, data: &Json, code: i64, error: &str) {
        assert_eq!(str_of(data, self.name), Some(self.error_status), "{}: {data:?}", self.name);
        assert_eq!(int_of(data, "error_code"), Some(code), "{}: {data:?}", self.name);
        assert_eq!(str_of(data, "error"), Some(error), "{}: {data:?}", self.name);
    }

    /// The rooms a `list` request returns, as (id, description).
    fn list(&self, handle: &Handle) -> Vec<(i64, String)> {
        let data = handle.request(r#"{"request":"list"}"#);
        self.assert_ok(&data, "success");
        array_of(&data, "list")
            .iter()
            .map(|r| (int_of(r, "room").expect("room id"), str_of(r, "description").unwrap_or_default().to_string()))
            .collect()
    }

    fn exists(&self, handle: &Handle, room: i64) -> bool {
        let data = handle.request(&format!(r#"{{"request":"exists","room":{room}}}"#));
        self.assert_ok(&data, "success");
        assert_eq!(int_of(&data, "room"), Some(room));
        data.get("exists").and_then(Json::as_bool).expect("exists flag")
    }

    fn saved_config(&self, configs: &ConfigsFolder) -> Config {
        let path = configs.path(&self.config_name());
        Config::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// Room management (`list`, `create`, `exists`, `edit`, `destroy`, with `permanent`) and its
/// error cases, the same way for the three room plugins: a room configured in the plugin's
/// file is listed, rooms created/edited/destroyed with `permanent: true` are saved in that
/// file (checked by parsing it), temporary rooms are not.
fn room_management(plugin: &RoomPlugin, test: &str) {
    let dir = support::scratch_dir(test);
    let configs = ConfigsFolder::new(&dir, &[plugin.name]);
    configs.write(
        &plugin.config_name(),
        &format!(
            "general: {{\n\tadmin_key = \"{ADMIN_KEY}\"\n}}\n\
             room-1234: {{\n\tdescription = \"Configured room\"\n\tsecret = \"configured\"\n{}}}\n",
            plugin.mandatory_room_settings
        ),
    );
    let gateway = Gateway::start(&binary_under_test(), &configs);
    let session = gateway.create_session();
    let handle = session.attach(&plugin.package());

    assert_eq!(plugin.list(&handle), vec![(1234, "Configured room".to_string())]);
    assert!(plugin.exists(&handle, 1234));
    assert!(!plugin.exists(&handle, 4242));

    // Creating needs the admin key the configuration sets.
    let create = format!(
        r#"{{"request":"create","room":4242,"description":"Saved room","secret":"s3cret","permanent":true,"admin_key":"{ADMIN_KEY}"}}"#
    );
    let data = handle.request(r#"{"request":"create","room":4242,"permanent":true}"#);
    plugin.assert_error(&data, plugin.missing_element, "Missing mandatory element (admin_key)");
    let data = handle.request(&create.replace(ADMIN_KEY, "wrong-key"));
    plugin.assert_error(&data, plugin.unauthorized, "Unauthorized (wrong admin_key)");
    assert!(!plugin.exists(&handle, 4242));

    let data = handle.request(&create);
    plugin.assert_ok(&data, "created");
    assert_eq!(int_of(&data, "room"), Some(4242));
    assert_eq!(data.get("permanent").and_then(Json::as_bool), Some(true));
    let data = handle.request(&create);
    plugin.assert_error(&data, plugin.room_exists, "Room 4242 already exists");
    let data = handle.request(&format!(r#"{{"request":"create","room":1234,"admin_key":"{ADMIN_KEY}"}}"#));
    plugin.assert_error(&data, plugin.room_exists, "Room 1234 already exists");
    assert!(plugin.exists(&handle, 4242));

    let saved = plugin.saved_config(&configs);
    assert_eq!(saved.get_value("general", "admin_key"), Some(ADMIN_KEY));
    assert_eq!(saved.get_value("room-4242", "description"), Some("Saved room"));
    assert_eq!(saved.get_value("room-4242", "secret"), Some("s3cret"));
    assert_eq!(saved.get_value("room-1234", "description"), Some("Configured room"));

    // A temporary room is listed but not saved.
    let data = handle.request(&format!(r#"{{"request":"create","room":5151,"description":"Temporary room","admin_key":"{ADMIN_KEY}"}}"#));
    plugin.assert_ok(&data, "created");
    assert_eq!(data.get("permanent").and_then(Json::as_bool), Some(false));
    let mut rooms = plugin.list(&handle);
    rooms.sort();
    assert_eq!(rooms, vec![(1234, "Configured room".to_string()), (4242, "Saved room".to_string()), (5151, "Temporary room".to_string())]);
    assert!(plugin.saved_config(&configs).get(Kind::Category, "room-5151").is_none());

    // Editing: wrong secret, missing room, then a saved edit.
    let edit = r#"{"request":"edit","room":4242,"secret":"s3cret","new_description":"Edited room","permanent":true}"#;
    let data = handle.request(&edit.replace("s3cret", "nope"));
    plugin.assert_error(&data, plugin.unauthorized, "Unauthorized (wrong secret)");
    let data = handle.request(&edit.replace("4242", "4343"));
    plugin.assert_error(&data, plugin.no_such_room, "No such room (4343)");
    let data = handle.request(edit);
    plugin.assert_ok(&data, "edited");
    assert_eq!(int_of(&data, "room"), Some(4242));
    assert!(plugin.list(&handle).contains(&(4242, "Edited room".to_string())));
    let saved = plugin.saved_config(&configs);
    assert_eq!(saved.get_value("room-4242", "description"), Some("Edited room"));
    assert_eq!(saved.get_value("room-4242", "secret"), Some("s3cret"));

    // Destroying: wrong secret, then a saved destroy, then the room is gone.
    let destroy = r#"{"request":"destroy","room":4242,"secret":"s3cret","permanent":true}"#;
    let data = handle.request(&destroy.replace("s3cret", "nope"));
    plugin.assert_error(&data, plugin.unauthorized, "Unauthorized (wrong secret)");
    assert!(plugin.exists(&handle, 4242));
    let data = handle.request(destroy);
    plugin.assert_ok(&data, "destroyed");
    assert_eq!(int_of(&data, "room"), Some(4242));
    let data = handle.request(destroy);
    plugin.assert_error(&data, plugin.no_such_room, "No such room (4242)");
    assert!(!plugin.exists(&handle, 4242));
    let saved = plugin.saved_config(&configs);
    assert!(saved.get(Kind::Category, "room-4242").is_none());
    assert_eq!(saved.get_value("room-1234", "secret"), Some("configured"));
    let data = handle.request(r#"{"request":"destroy","room":5151}"#);
    plugin.assert_ok(&data, "destroyed");
    assert_eq!(plugin.list(&handle), vec![(1234, "Configured room".to_string())]);
}

#[test]
fn videoroom_room_management() {
    room_management(&VIDEOROOM, "videoroom");
}

#[test]
fn audiobridge_room_management() {
    room_management(&AUDIOBRIDGE, "audiobridge");
}

#[test]
fn textroom_room_management() {
    room_management(&TEXTROOM, "textroom");
}

/// An asynchronous request: a VideoRoom `join` is acknowledged, its `joined` event arrives
/// through a long poll, and the participant is then listed.
#[test]
fn videoroom_join_event_through_long_poll() {
    let dir = support::scratch_dir("videoroom-join");
    let configs = ConfigsFolder::new(&dir, &["videoroom"]);
    configs.write("janus.plugin.videoroom.jcfg", "room-1234: {\n\tdescription = \"Demo\"\n}\n");
    let gateway = Gateway::start(&binary_under_test(), &configs);
    let session = gateway.create_session();
    let handle = session.attach("janus.plugin.videoroom");

    let reply = handle.message(r#"{"request":"join","ptype":"publisher","room":1234,"id":77,"display":"tester"}"#);
    assert_eq!(str_of(&reply, "janus"), Some("ack"), "{reply:?}");
    let event = session.poll(Duration::from_secs(10));
    assert_eq!(str_of(&event, "janus"), Some("event"), "{event:?}");
    assert_eq!(int_of(&event, "sender"), Some(handle.id));
    let data = event.get("plugindata").and_then(|p| p.get("data")).expect("plugindata.data");
    assert_eq!(str_of(data, "videoroom"), Some("joined"), "{data:?}");
    assert_eq!(int_of(data, "room"), Some(1234));
    assert_eq!(int_of(data, "id"), Some(77));
    assert!(array_of(data, "publishers").is_empty());

    let data = handle.request(r#"{"request":"listparticipants","room":1234}"#);
    let participants = array_of(&data, "participants");
    assert_eq!(participants.len(), 1, "{data:?}");
    assert_eq!(int_of(&participants[0], "id"), Some(77));
    assert_eq!(str_of(&participants[0], "display"), Some("tester"));
    assert_eq!(participants[0].get("publisher").and_then(Json::as_bool), Some(false));
}

// ---------------------------------------------------------------------------------------
// Streaming

const AUDIO_PACKETS: usize = 50; // 1 s of 20 ms Opus frames
const VIDEO_FRAMES: usize = 25; // 1 s at 25 fps
const VIDEO_SIZE: (i64, i64) = (320, 240);
/// RTP payload budget per packet, small enough that key frames span several packets.
const RTP_PAYLOAD_MAX: usize = 1000;
const AUDIO_PT: u8 = 111;
const VIDEO_PT: u8 = 100;

/// One RTP packet of the synthetic feed, in sending order.
struct RtpPacket {
    video: bool,
    bytes: Vec<u8>,
}

fn rtp_packet(pt: u8, marker: bool, seq: u16, timestamp: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + payload.len());
    p.push(0x80);
    p.push(pt | if marker { 0x80 } else { 0 });
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&timestamp.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// VP8 frames encoded once by ffmpeg (libvpx) from its test pattern, read from IVF.
fn vp8_frames(dir: &Path) -> Vec<Vec<u8>> {
    let ivf = dir.join("feed.ivf");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=size={}x{}:rate=25", VIDEO_SIZE.0, VIDEO_SIZE.1))
        .args(["-frames:v", &VIDEO_FRAMES.to_string()])
        .args(["-c:v", "libvpx", "-g", "10", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "400k"])
        .arg(&ivf)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    let data = std::fs::read(&ivf).unwrap();
    assert_eq!(&data[..4], b"DKIF");
    let mut at = u16::from_le_bytes([data[6], data[7]]) as usize;
    let mut frames = Vec::new();
    while at + 12 <= data.len() {
        let size = u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        frames.push(data[at + 12..at + 12 + size].to_vec());
        at += 12 + size;
    }
    assert_eq!(frames.len(), VIDEO_FRAMES);
    frames
}

/// The synthetic feed, built once per test process: 20 ms Opus frames (silence, a valid
/// CELT frame) and VP8 frames packetized as RFC 7741 says (start bit on a frame's first
/// packet, marker on its last), interleaved in timestamp order.
fn feed() -> &'static [RtpPacket] {
    static FEED: OnceLock<Vec<RtpPacket>> = OnceLock::new();
    FEED.get_or_init(|| {
        let frames = vp8_frames(&support::scratch_dir("streaming-feed"));
        let mut video = Vec::new();
        let mut seq = 1000u16;
        for (i, frame) in frames.iter().enumerate() {
            let chunks: Vec<&[u8]> = frame.chunks(RTP_PAYLOAD_MAX).collect();
            for (j, chunk) in chunks.iter().enumerate() {
                let mut payload = vec![if j == 0 { 0x10 } else { 0x00 }];
                payload.extend_from_slice(chunk);
                let last = j + 1 == chunks.len();
                let bytes = rtp_packet(VIDEO_PT, last, seq, 7000 + 3600 * i as u32, 0x2222_2222, &payload);
                video.push((i as u64 * 40, RtpPacket { video: true, bytes }));
                seq = seq.wrapping_add(1);
            }
        }
        let audio = (0..AUDIO_PACKETS).map(|i| {
            let bytes = rtp_packet(AUDIO_PT, i == 0, 500 + i as u16, 3000 + 960 * i as u32, 0x1111_1111, &[0xf8, 0xff, 0xfe]);
            (i as u64 * 20, RtpPacket { video: false, bytes })
        });
        let mut all: Vec<(u64, RtpPacket)> = audio.chain(video).collect();
        all.sort_by_key(|(ms, _)| *ms);
        all.into_iter().map(|(_, p)| p).collect()
    })
}

/// The indexes of the feed's VP8 key frames (RFC 7741: a frame starts in the packet whose
/// descriptor has S set; bit 0 of the VP8 frame tag is 0 on key frames).
fn feed_key_frames() -> Vec<usize> {
    let starts = feed().iter().filter(|p| p.video && p.bytes[12] & 0x10 != 0);
    starts.enumerate().filter(|(_, p)| p.bytes[13] & 0x01 == 0).map(|(i, _)| i).collect()
}

/// Sends the feed to a mountpoint's ports on loopback, one packet per millisecond (a bounded
/// rate no socket buffer can overflow with).
fn send_feed(audio_port: u16, video_port: u16) {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    for packet in feed() {
        let port = if packet.video { video_port } else { audio_port };
        socket.send_to(&packet.bytes, (Ipv4Addr::LOCALHOST, port)).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A gateway with the Streaming plugin and one RTP mountpoint (id 1) from its configuration.
struct StreamingGateway {
    configs: ConfigsFolder,
    gateway: Gateway,
}

fn start_streaming(binary: &Path, test: &str) -> StreamingGateway {
    let dir = support::scratch_dir(test);
    let configs = ConfigsFolder::new(&dir, &["streaming"]);
    configs.write(
        "janus.plugin.streaming.jcfg",
        &format!(
            "general: {{\n\tadmin_key = \"{ADMIN_KEY}\"\n}}\n\
             configured: {{\n\ttype = \"rtp\"\n\tid = 1\n\tdescription = \"Configured mountpoint\"\n\
             \taudio = true\n\taudioport = {}\n\taudiopt = 111\n\taudiocodec = \"opus\"\n\tsecret = \"configured\"\n}}\n",
            free_port()
        ),
    );
    let gateway = Gateway::start(binary, &configs);
    StreamingGateway { configs, gateway }
}

/// Creates RTP mountpoint `id` (Opus audio, VP8 video on free ports), records it while the
/// feed plays, and returns the two `.mjr` files.
fn record_feed(handle: &Handle, id: i64, rec_dir: &Path) -> (PathBuf, PathBuf) {
    let (audio_port, video_port) = (free_port(), free_port());
    let data = handle.request(&format!(
        r#"{{"request":"create","admin_key":"{ADMIN_KEY}","type":"rtp","id":{id},"description":"Fed","secret":"feed",
            "media":[{{"type":"audio","mid":"a","port":{audio_port},"pt":111,"codec":"opus"}},
                     {{"type":"video","mid":"v","port":{video_port},"pt":100,"codec":"vp8"}}]}}"#
    ));
    assert_eq!(str_of(&data, "streaming"), Some("created"), "{data:?}");
    let stream = data.get("stream").expect("stream");
    assert_eq!(int_of(stream, "id"), Some(id));
    let ports: Vec<(String, i64)> =
        array_of(stream, "ports").iter().map(|p| (str_of(p, "mid").unwrap().to_string(), int_of(p, "port").unwrap())).collect();
    assert_eq!(ports, vec![("a".to_string(), audio_port as i64), ("v".to_string(), video_port as i64)]);

    let (audio, video) = (rec_dir.join("audio"), rec_dir.join("video"));
    let start = format!(
        r#"{{"request":"recording","action":"start","id":{id},"secret":"feed","audio":"{}","video":"{}"}}"#,
        audio.display(),
        video.display()
    );
    let data = handle.request(&start.replace(r#""secret":"feed""#, r#""secret":"nope""#));
    assert_eq!(int_of(&data, "error_code"), Some(457), "{data:?}");
    assert_eq!(str_of(&data, "error"), Some("Unauthorized (wrong secret)"));
    let data = handle.request(&start);
    assert_eq!(str_of(&data, "streaming"), Some("ok"), "{data:?}");
    let data = handle.request(&start);
    assert_eq!(int_of(&data, "error_code"), Some(452), "{data:?}");
    assert_eq!(str_of(&data, "error"), Some("Recording started for this stream"));

    send_feed(audio_port, video_port);
    // The relay thread must have read everything before the recorders close; it writes a
    // packet right after reading it, hence the short grace period.
    wait_udp_drained(audio_port, Duration::from_secs(5));
    wait_udp_drained(video_port, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(100));
    let data = handle.request(&format!(r#"{{"request":"recording","action":"stop","id":{id},"secret":"feed","audio":true,"video":true}}"#));
    assert_eq!(str_of(&data, "streaming"), Some("ok"), "{data:?}");
    (audio.with_extension("mjr"), video.with_extension("mjr"))
}

/// What a converted recording looks like to ffprobe: its size, its stream description
/// and every packet's (pts, size, flags), in order.
#[derive(Debug, PartialEq)]
struct Probe {
    file_size: u64,
    stream: Json,
    packets: Vec<Json>,
}

/// Converts a `.mjr` with `janus-pp-rec` into `target` and probes the result.
fn convert_and_probe(mjr: &Path, target: &Path) -> Probe {
    let out = Command::new("timeout").args(["30", "janus-pp-rec", "-o"]).arg(mjr).arg(target).output().expect("janus-pp-rec runs");
    assert!(out.status.success(), "janus-pp-rec {}: {}", mjr.display(), String::from_utf8_lossy(&out.stdout));
    let out = Command::new("timeout")
        .args(["30", "ffprobe", "-v", "error", "-count_frames", "-of", "json", "-show_entries"])
        .arg(
            "stream=codec_name,codec_type,width,height,sample_rate,channels,nb_read_frames,nb_read_packets\
             :packet=pts,dts,size,flags",
        )
        .arg(target)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe {}: {}", target.display(), String::from_utf8_lossy(&out.stderr));
    let report = support::gateway::parse_json(&String::from_utf8_lossy(&out.stdout));
    let streams = array_of(&report, "streams");
    assert_eq!(streams.len(), 1, "{report:?}");
    Probe {
        file_size: std::fs::metadata(target).unwrap().len(),
        stream: streams[0].clone(),
        packets: array_of(&report, "packets").to_vec(),
    }
}

/// Records the feed on a fresh mountpoint of a fresh gateway and returns the probes of the
/// converted audio (`.opus`) and video (`.webm`).
fn record_and_convert(binary: &Path, test: &str) -> (Probe, Probe) {
    let streaming = start_streaming(binary, test);
    let rec_dir = streaming.configs.dir.join("recordings");
    std::fs::create_dir(&rec_dir).unwrap();
    let (audio, video) = {
        let session = streaming.gateway.create_session();
        record_feed(&session.attach("janus.plugin.streaming"), 7, &rec_dir)
    };
    // Stopped before converting: nothing may still be writing to the recordings.
    drop(streaming);
    (convert_and_probe(&audio, &rec_dir.join("audio.opus")), convert_and_probe(&video, &rec_dir.join("video.webm")))
}

fn count(stream: &Json, key: &str) -> Option<i64> {
    str_of(stream, key).and_then(|s| s.parse().ok())
}

/// The Streaming API on the binary under test: `list` and `info` of a configured mountpoint,
/// `create`, `recording` (while the feed plays) and `destroy` of another, with their error
/// cases. Returns the recordings made into `rec_dir`.
fn streaming_api(rec_dir: &Path) -> (PathBuf, PathBuf) {
    let streaming = start_streaming(&binary_under_test(), "streaming");
    let session = streaming.gateway.create_session();
    let handle = session.attach("janus.plugin.streaming");

    let data = handle.request(r#"{"request":"list"}"#);
    assert_eq!(str_of(&data, "streaming"), Some("list"), "{data:?}");
    let list = array_of(&data, "list");
    assert_eq!(list.len(), 1, "{data:?}");
    assert_eq!(int_of(&list[0], "id"), Some(1));
    assert_eq!(str_of(&list[0], "description"), Some("Configured mountpoint"));

    let data = handle.request(r#"{"request":"info","id":1}"#);
    assert_eq!(str_of(&data, "streaming"), Some("info"), "{data:?}");
    let info = data.get("info").expect("info");
    assert_eq!(int_of(info, "id"), Some(1));
    assert_eq!(str_of(info, "type"), Some("live"));
    assert_eq!(info.get("secret"), None, "the secret is only shown to who knows it");
    let media = array_of(info, "media");
    assert_eq!(media.len(), 1);
    assert_eq!(str_of(&media[0], "codec"), Some("opus"));
    assert_eq!(str_of(&media[0], "rtpmap"), Some("opus/48000/2"));
    let data = handle.request(r#"{"request":"info","id":1,"secret":"configured"}"#);
    assert_eq!(str_of(data.get("info").unwrap(), "secret"), Some("configured"));
    let data = handle.request(r#"{"request":"info","id":99}"#);
    assert_eq!(int_of(&data, "error_code"), Some(455), "{data:?}");
    assert_eq!(str_of(&data, "error"), Some("No such mountpoint/stream 99"));

    let data = handle.request(r#"{"request":"create","type":"rtp","id":7,"media":[]}"#);
    assert_eq!(int_of(&data, "error_code"), Some(453), "{data:?}");
    assert_eq!(str_of(&data, "error"), Some("Missing mandatory element (admin_key)"));
    let (audio_mjr, video_mjr) = record_feed(&handle, 7, rec_dir);
    let data = handle.request(&format!(
        r#"{{"request":"create","admin_key":"{ADMIN_KEY}","type":"rtp","id":7,
            "media":[{{"type":"audio","mid":"a","port":{},"pt":111,"codec":"opus"}}]}}"#,
        free_port()
    ));
    assert_eq!(int_of(&data, "error_code"), Some(456), "{data:?}");
    assert_eq!(str_of(&data, "error"), Some("A stream with the provided ID already exists"));

    let data = handle.request(r#"{"request":"info","id":7,"secret":"feed"}"#);
    let media = array_of(data.get("info").unwrap(), "media");
    let codecs: Vec<_> = media.iter().map(|m| str_of(m, "codec").unwrap().to_string()).collect();
    assert_eq!(codecs, ["opus", "vp8"]);
    assert!(media.iter().all(|m| m.get("recording").is_none()), "recording stopped: {media:?}");

    let data = handle.request(r#"{"request":"destroy","id":7,"secret":"nope"}"#);
    assert_eq!(int_of(&data, "error_code"), Some(457), "{data:?}");
    let data = handle.request(r#"{"request":"destroy","id":7,"secret":"feed"}"#);
    assert_eq!(str_of(&data, "streaming"), Some("destroyed"), "{data:?}");
    assert_eq!(int_of(&data, "destroyed"), Some(7), "{data:?}");
    let data = handle.request(r#"{"request":"info","id":7}"#);
    assert_eq!(int_of(&data, "error_code"), Some(455), "{data:?}");
    (audio_mjr, video_mjr)
}

#[test]
fn streaming_mountpoints_and_recording() {
    let rec_dir = support::scratch_dir("streaming-recordings");
    let (audio_mjr, video_mjr) = streaming_api(&rec_dir);

    // Opus at 48 kHz: one 20 ms packet every 960 ticks, all of them, in order.
    let audio = convert_and_probe(&audio_mjr, &rec_dir.join("audio.opus"));
    assert_eq!(str_of(&audio.stream, "codec_name"), Some("opus"), "{audio:?}");
    assert_eq!(count(&audio.stream, "nb_read_packets"), Some(AUDIO_PACKETS as i64), "{audio:?}");
    let pts: Vec<i64> = audio.packets.iter().map(|p| int_of(p, "pts").unwrap()).collect();
    assert_eq!(pts, (0..AUDIO_PACKETS as i64).map(|i| i * 960).collect::<Vec<_>>());

    // VP8 in WebM (1 ms time base): every frame decodes, 40 ms apart, key frames where the
    // feed has them.
    let video = convert_and_probe(&video_mjr, &rec_dir.join("video.webm"));
    assert_eq!(str_of(&video.stream, "codec_name"), Some("vp8"), "{video:?}");
    assert_eq!((int_of(&video.stream, "width"), int_of(&video.stream, "height")), (Some(VIDEO_SIZE.0), Some(VIDEO_SIZE.1)));
    assert_eq!(count(&video.stream, "nb_read_frames"), Some(VIDEO_FRAMES as i64), "{video:?}");
    let pts: Vec<i64> = video.packets.iter().map(|p| int_of(p, "pts").unwrap()).collect();
    assert_eq!(pts, (0..VIDEO_FRAMES as i64).map(|i| i * 40).collect::<Vec<_>>());
    let key_frames: Vec<usize> =
        (video.packets.iter().enumerate()).filter(|(_, p)| str_of(p, "flags").unwrap().starts_with('K')).map(|(i, _)| i).collect();
    assert_eq!(key_frames, feed_key_frames());
    assert!(key_frames.len() > 1, "the feed has several key frames: {key_frames:?}");
}

/// The issue's differential point: the same RTP input recorded by `/usr/bin/janus` and by
/// the binary under test converts to the same media (same streams, same packets in the same
/// order with the same sizes and timestamps, same file sizes).
#[test]
fn recordings_match_reference_janus() {
    let (reference, under_test) = std::thread::scope(|s| {
        let reference = s.spawn(|| record_and_convert(Path::new(REFERENCE_BINARY), "streaming-reference"));
        let under_test = record_and_convert(&binary_under_test(), "streaming-under-test");
        (reference.join().expect("reference run"), under_test)
    });
    assert_eq!(under_test.0, reference.0, "audio");
    assert_eq!(under_test.1, reference.1, "video");
}

/// The drain wait the recordings rely on sees datagrams nobody has read yet, and returns
/// once they are read.
#[test]
fn udp_drain_wait_sees_unread_datagrams() {
    let port = free_port();
    let receiver = UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().send_to(b"x", (Ipv4Addr::LOCALHOST, port)).unwrap();
    let waited = std::panic::catch_unwind(|| wait_udp_drained(port, Duration::from_millis(100)));
    assert!(waited.is_err(), "a queued datagram must keep the port undrained");
    receiver.recv(&mut [0u8; 8]).unwrap();
    wait_udp_drained(port, Duration::from_secs(1));
}
