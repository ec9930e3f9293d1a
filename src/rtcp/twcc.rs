//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
//! extensions-01, RTPFB FMT 15), read the way Janus reads it: packet status chunks first,
//! then one receive delta per received packet.
//!
//! Janus builds a list of statuses before reading deltas; here the chunks are walked twice
//! instead (once to find where the deltas start), so parsing allocates nothing.
//!
//! Writing feedback ([`build`]) follows Janus' `janus_rtcp_transport_wide_cc_feedback`
//! (the same chunking choices, so the same bytes), and [`Recorder`] keeps what a
//! PeerConnection received between two feedbacks as Janus' ICE code does, in storage
//! allocated once.

use super::packet::{check_fci, get_u16, FCI_OFFSET, RTCP_RTPFB};

/// Packet status symbols.
pub const STATUS_NOT_RECEIVED: u8 = 0;
pub const STATUS_SMALL_DELTA: u8 = 1;
pub const STATUS_LARGE_OR_NEGATIVE_DELTA: u8 = 2;
pub const STATUS_RESERVED: u8 = 3;

/// The fixed part of a feedback, and where its chunks and deltas lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feedback<'a> {
    pub base_seq: u16,
    pub status_count: u16,
    /// 24 bits, in multiples of 64 ms.
    pub reference_time: u32,
    pub fb_pkt_count: u8,
    chunks: &'a [u8],
    deltas: &'a [u8],
}

/// One packet the feedback reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketStatus {
    pub seq: u16,
    pub status: u8,
    /// The receive delta in microseconds (250 µs units on the wire; Janus reads 2-byte
    /// deltas as unsigned), 0 for packets without one.
    pub delta_us: u32,
}

/// Expands one chunk: how many statuses it carries (given how many are still due) and the
/// `i`-th of them. Run lengths go through an 8-bit counter in Janus, so they wrap at 256.
fn chunk_len(chunk: u16, due: u16) -> u16 {
    let len = if chunk & 0x8000 == 0 {
        u16::from((chunk & 0x1fff) as u8)
    } else if chunk & 0x4000 != 0 {
        7
    } else {
        14
    };
    len.min(due)
}

fn chunk_status(chunk: u16, i: u16) -> u8 {
    if chunk & 0x8000 == 0 {
        ((chunk >> 13) & 0x03) as u8
    } else if chunk & 0x4000 != 0 {
        // Seven 2-bit symbols, most significant first.
        ((chunk >> (12 - 2 * i)) & 0x03) as u8
    } else {
        // Fourteen 1-bit symbols: received (small delta) or not.
        ((chunk >> (13 - i)) & 0x01) as u8
    }
}

/// Reads the feedback at the start of `rest` (an RTPFB FMT 15 packet and whatever follows it
/// in the compound, which Janus lets the chunks and deltas run into). `None` if it is too
/// short for its header, or its chunks end before `status_count` statuses.
pub fn parse(rest: &[u8]) -> Option<Feedback<'_>> {
    if rest.len() < 20 || !check_fci(rest, 4) {
        return None;
    }
    let base_seq = get_u16(rest, FCI_OFFSET)?;
    let status_count = get_u16(rest, FCI_OFFSET + 2)?;
    let reference_time = u32::from_be_bytes([0, rest[16], rest[17], rest[18]]);
    let fb_pkt_count = rest[19];
    let body = &rest[20..];
    let mut due = status_count;
    let mut used = 0;
    // Every chunk consumes 2 bytes, so this ends within body.len() / 2 steps.
    while due > 0 && body.len() - used > 1 {
        let chunk = get_u16(body, used)?;
        due -= chunk_len(chunk, due);
        used += 2;
    }
    if due > 0 {
        return None;
    }
    Some(Feedback { base_seq, status_count, reference_time, fb_pkt_count, chunks: &body[..used], deltas: &body[used..] })
}

impl<'a> Feedback<'a> {
    /// The reported packets in order; like Janus, the list ends early if the deltas run out.
    pub fn packets(&self) -> Statuses<'a> {
        Statuses { chunks: self.chunks, in_chunk: 0, due: self.status_count, deltas: self.deltas, seq: self.base_seq }
    }
}

#[derive(Clone, Debug)]
pub struct Statuses<'a> {
    chunks: &'a [u8],
    in_chunk: u16,
    due: u16,
    deltas: &'a [u8],
    seq: u16,
}

impl Iterator for Statuses<'_> {
    type Item = PacketStatus;

    fn next(&mut self) -> Option<PacketStatus> {
        if self.due == 0 || self.deltas.is_empty() {
            return None;
        }
        let chunk = get_u16(self.chunks, 0)?;
        let status = chunk_status(chunk, self.in_chunk);
        self.in_chunk += 1;
        self.due -= 1;
        if self.in_chunk >= chunk_len(chunk, self.due + self.in_chunk) {
            self.chunks = &self.chunks[2..];
            self.in_chunk = 0;
        }
        let delta = match status {
            STATUS_SMALL_DELTA => {
                let d = u16::from(self.deltas[0]);
                self.deltas = &self.deltas[1..];
                d
            }
            STATUS_LARGE_OR_NEGATIVE_DELTA => {
                let d = get_u16(self.deltas, 0)?;
                self.deltas = &self.deltas[2..];
                d
            }
            _ => 0,
        };
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        Some(PacketStatus { seq, status, delta_us: u32::from(delta) * 250 })
    }
}

/// One packet a feedback reports on: its transport-wide sequence number, extended to 32
/// bits, and when it arrived (wall clock, µs; 0: not received).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arrival {
    pub seq: u32,
    pub arrival_us: u64,
}

/// Reference times count 64 ms; receive deltas count 250 µs.
const REFERENCE_TIME_US: u64 = 64_000;
const DELTA_US: u64 = 250;

/// Janus' `(status, delta)` for each packet of a feedback: deltas (in 250 µs units) run from
/// the reference time, rounded down to 64 ms, then from one received packet's exact arrival
/// to the next (so rounding errors add up, as in Janus); a delta outside 0..=255 needs two
/// bytes.
struct Deltas<'a> {
    packets: std::slice::Iter<'a, Arrival>,
    previous_us: u64,
}

impl<'a> Deltas<'a> {
    fn new(packets: &'a [Arrival], reference_time: u64) -> Self {
        Deltas { packets: packets.iter(), previous_us: reference_time * REFERENCE_TIME_US }
    }
}

impl Iterator for Deltas<'_> {
    type Item = (u8, i32);

    fn next(&mut self) -> Option<(u8, i32)> {
        let p = self.packets.next()?;
        if p.arrival_us == 0 {
            return Some((STATUS_NOT_RECEIVED, 0));
        }
        // Janus keeps deltas in a C int.
        let delta = if p.arrival_us > self.previous_us {
            ((p.arrival_us - self.previous_us) / DELTA_US) as i32
        } else {
            (((self.previous_us - p.arrival_us) / DELTA_US) as i32).wrapping_neg()
        };
        self.previous_us = p.arrival_us;
        let status = if (0..=255).contains(&delta) { STATUS_SMALL_DELTA } else { STATUS_LARGE_OR_NEGATIVE_DELTA };
        Some((status, delta))
    }
}

/// Janus' packet status chunker: statuses are held until they can go out as a run (more
/// than 7 equal ones, ended by a different one), a 2-bit vector (7 statuses, as soon as a
/// large delta is among 7 mixed ones) or a 1-bit vector (14 mixed ones); what is left at
/// the end becomes one last run or vector.
#[derive(Default)]
struct Chunker {
    /// The statuses held; past 14 they are all equal to `last`, so only the count grows.
    held: [u8; 14],
    count: usize,
    last: Option<u8>,
    max: u8,
    mixed: bool,
}

fn run_chunk(status: u8, count: usize) -> u16 {
    (u16::from(status & 0x03) << 13) | (count & 0x1fff) as u16
}

fn two_bit_chunk(statuses: &[u8]) -> u16 {
    statuses.iter().take(7).enumerate().fold(0xc000, |w, (i, s)| w | (u16::from(s & 0x03) << (12 - 2 * i)))
}

fn one_bit_chunk(statuses: &[u8]) -> u16 {
    statuses.iter().take(14).enumerate().fold(0x8000, |w, (i, s)| w | (u16::from(s & 0x01) << (13 - i)))
}

impl Chunker {
    /// Takes one status; returns the chunk it completes, if any (at most one per status).
    fn push(&mut self, status: u8) -> Option<u16> {
        let mut chunk = None;
        if !self.mixed && self.last.is_some_and(|l| l != status) {
            if self.count > 7 {
                chunk = Some(run_chunk(self.last.unwrap_or(status), self.count));
                *self = Chunker::default();
            } else {
                self.mixed = true;
            }
        }
        if self.count < self.held.len() {
            self.held[self.count] = status;
        }
        self.count += 1;
        self.max = self.max.max(status);
        self.last = Some(status);
        if self.mixed {
            if self.max == STATUS_LARGE_OR_NEGATIVE_DELTA && self.count > 6 {
                chunk = Some(two_bit_chunk(&self.held[..7]));
                // Mixed statuses never exceed 14, so all of them are held.
                let left = self.count - 7;
                self.held.copy_within(7..7 + left, 0);
                self.recount(left);
            } else if self.count > 13 {
                chunk = Some(one_bit_chunk(&self.held));
                *self = Chunker::default();
            }
        }
        chunk
    }

    /// After a 2-bit vector, the state of the `left` statuses still held.
    fn recount(&mut self, left: usize) {
        let held = self.held;
        *self = Chunker { held, ..Chunker::default() };
        for &s in &held[..left] {
            if !self.mixed && self.last.is_some_and(|l| l != s) {
                self.mixed = true;
            }
            self.max = self.max.max(s);
            self.last = Some(s);
        }
        self.count = left;
    }

    /// The last chunk, for what is still held.
    fn finish(&self) -> Option<u16> {
        let last = self.last?;
        Some(if !self.mixed {
            run_chunk(last, self.count)
        } else if self.max == STATUS_LARGE_OR_NEGATIVE_DELTA {
            two_bit_chunk(&self.held[..self.count.min(7)])
        } else {
            one_bit_chunk(&self.held[..self.count.min(14)])
        })
    }
}

/// Writes into `out` the feedback (RTPFB FMT 15) from `ssrc` about the media of `media`
/// that reports on `packets` (consecutive sequence numbers from the first one's, which is
/// the base; up to 65535 of them), as Janus writes it: the reference time of the first
/// received packet (23 bits of it; 0 if none was), zero padding to 32 bits. Returns its
/// length, or `None` if there is nothing to report or `out` is too short.
pub fn build(out: &mut [u8], ssrc: u32, media: u32, fb_pkt_count: u8, packets: &[Arrival]) -> Option<usize> {
    let base = packets.first()?;
    let status_count = u16::try_from(packets.len()).ok()?;
    let reference_time = packets.iter().find(|p| p.arrival_us != 0).map_or(0, |p| p.arrival_us / REFERENCE_TIME_US);
    let mut w = Writer { out, len: 0 };
    w.put(&[0x80 | 15, RTCP_RTPFB, 0, 0])?;
    w.put(&ssrc.to_be_bytes())?;
    w.put(&media.to_be_bytes())?;
    w.put(&(base.seq as u16).to_be_bytes())?;
    w.put(&status_count.to_be_bytes())?;
    w.put(&((reference_time & 0x7f_ffff) as u32).to_be_bytes()[1..])?;
    w.put(&[fb_pkt_count])?;
    let mut chunker = Chunker::default();
    for (status, _) in Deltas::new(packets, reference_time) {
        if let Some(chunk) = chunker.push(status) {
            w.put(&chunk.to_be_bytes())?;
        }
    }
    if let Some(chunk) = chunker.finish() {
        w.put(&chunk.to_be_bytes())?;
    }
    for (status, delta) in Deltas::new(packets, reference_time) {
        match status {
            STATUS_SMALL_DELTA => w.put(&[delta as u8])?,
            STATUS_LARGE_OR_NEGATIVE_DELTA => {
                // Janus caps what does not fit 16 bits.
                let two = i16::try_from(delta).unwrap_or(if delta > 0 { i16::MAX } else { i16::MIN });
                w.put(&two.to_be_bytes())?
            }
            _ => {}
        }
    }
    while w.len % 4 != 0 {
        w.put(&[0])?;
    }
    let words = u16::try_from(w.len / 4 - 1).ok()?;
    w.out[2..4].copy_from_slice(&words.to_be_bytes());
    Some(w.len)
}

struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        self.out.get_mut(self.len..self.len + bytes.len())?.copy_from_slice(bytes);
        self.len += bytes.len();
        Some(())
    }
}

/// How many packets one feedback reports on at most (Janus splits longer lists).
pub const MAX_PACKETS_PER_FEEDBACK: usize = 400;
/// How many arrivals are kept between two feedbacks (the oldest go first), and how many
/// missing packets one round of feedback reports at most.
pub const RECORDER_CAPACITY: usize = 4096;

/// What a PeerConnection received between two feedbacks, and the counters Janus keeps
/// (`transport_wide_cc_cycles`, `..._last_seq_num`, `..._last_feedback_seq_num`,
/// `..._feedback_count`). Its storage is allocated on the first packet, then reused.
#[derive(Default)]
pub struct Recorder {
    /// Arrivals since the last feedback: appended, then (when full) a ring whose oldest
    /// entry is at `oldest`.
    arrivals: Vec<Arrival>,
    oldest: usize,
    /// The feedback being filled.
    batch: Vec<Arrival>,
    cycles: u16,
    last_seq: u16,
    last_feedback_seq: u32,
    feedback_count: u8,
}

impl Recorder {
    /// A packet with transport-wide sequence number `seq` arrived at `arrival_us` (wall
    /// clock, µs). The sequence number is extended the way Janus does: a new cycle when a
    /// number below 0x0fff follows one above 0xf000.
    pub fn record(&mut self, seq: u16, arrival_us: u64) {
        if self.arrivals.capacity() == 0 {
            self.arrivals.reserve_exact(RECORDER_CAPACITY);
            self.batch.reserve_exact(MAX_PACKETS_PER_FEEDBACK);
        }
        if seq < 0x0fff && self.last_seq > 0xf000 {
            self.cycles = self.cycles.wrapping_add(1);
        }
        self.last_seq = seq;
        let arrival = Arrival { seq: u32::from(self.cycles) << 16 | u32::from(seq), arrival_us: arrival_us.max(1) };
        if self.arrivals.len() < RECORDER_CAPACITY {
            self.arrivals.push(arrival);
        } else {
            self.arrivals[self.oldest] = arrival;
            self.oldest = (self.oldest + 1) % RECORDER_CAPACITY;
        }
    }

    /// The feedback due now, as Janus' periodic callback makes it: the arrivals in
    /// sequence order (those older than the last reported are dropped), the sequence
    /// numbers missing since the last one reported as not received, in feedbacks of at most
    /// [`MAX_PACKETS_PER_FEEDBACK`] packets, each handed to `send` with its feedback packet
    /// count. Unlike Janus, at most [`RECORDER_CAPACITY`] missing packets are reported per
    /// round: a longer gap ends the feedback being filled, and the next one starts after it.
    pub fn feedback(&mut self, mut send: impl FnMut(&[Arrival], u8)) {
        if self.arrivals.is_empty() {
            return;
        }
        self.arrivals.rotate_left(self.oldest);
        self.oldest = 0;
        // The same number twice: Janus' list has the latest first.
        self.arrivals.sort_unstable_by_key(|a| (a.seq, std::cmp::Reverse(a.arrival_us)));
        let mut missing_budget = RECORDER_CAPACITY as u64;
        let Recorder { arrivals, batch, last_feedback_seq, feedback_count, .. } = self;
        // Sends the batch when it is full, or (`now`) when it holds anything.
        let mut flush = |batch: &mut Vec<Arrival>, now: bool| {
            if batch.len() == MAX_PACKETS_PER_FEEDBACK || (now && !batch.is_empty()) {
                send(batch, *feedback_count);
                *feedback_count = feedback_count.wrapping_add(1);
                batch.clear();
            }
        };
        for &arrival in arrivals.iter() {
            if arrival.seq < *last_feedback_seq {
                continue;
            }
            // Janus reports no gap before the first number it reports (or while the last
            // one reported is 0).
            if *last_feedback_seq != 0 {
                let gap = u64::from(arrival.seq.saturating_sub(*last_feedback_seq)).saturating_sub(1);
                if gap <= missing_budget {
                    missing_budget -= gap;
                    for seq in *last_feedback_seq + 1..arrival.seq {
                        batch.push(Arrival { seq, arrival_us: 0 });
                        flush(batch, false);
                    }
                } else {
                    flush(batch, true);
                }
            }
            *last_feedback_seq = arrival.seq;
            batch.push(arrival);
            flush(batch, false);
        }
        flush(batch, true);
        arrivals.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feedback(chunks_and_deltas: &[u8], status_count: u16) -> Vec<u8> {
        let mut p = vec![0x8f, 205, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        p.extend_from_slice(&100u16.to_be_bytes());
        p.extend_from_slice(&status_count.to_be_bytes());
        p.extend_from_slice(&[0x00, 0x01, 0x02, 7]);
        p.extend_from_slice(chunks_and_deltas);
        while p.len() % 4 != 0 {
            p.push(0);
        }
        let words = (p.len() / 4 - 1) as u16;
        p[2..4].copy_from_slice(&words.to_be_bytes());
        p
    }

    #[test]
    fn run_length_and_vectors() {
        // Run of 2 small deltas; 2-bit vector: large, not received, small (+4 padding
        // symbols not due); deltas 10, 20, large 0x0102, 30.
        let p = feedback(&[0x20, 0x02, 0xe1, 0x00, 10, 20, 0x01, 0x02, 30], 5);
        let fb = parse(&p).unwrap();
        assert_eq!((fb.base_seq, fb.status_count, fb.reference_time, fb.fb_pkt_count), (100, 5, 0x102, 7));
        let got: Vec<_> = fb.packets().map(|s| (s.seq, s.status, s.delta_us)).collect();
        assert_eq!(got, [(100, 1, 2500), (101, 1, 5000), (102, 2, 0x0102 * 250), (103, 0, 0), (104, 1, 7500)]);
    }

    #[test]
    fn one_bit_vector_and_truncation() {
        // 14 one-bit symbols 1010...: seven received packets.
        let p = feedback(&[0xaa, 0xaa, 1, 2, 3, 4, 5, 6, 7], 14);
        let fb = parse(&p).unwrap();
        let got: Vec<_> = fb.packets().filter(|s| s.status == 1).map(|s| s.delta_us / 250).collect();
        assert_eq!(got, [1, 2, 3, 4, 5, 6, 7]);
        // Chunks short of the status count: nothing.
        assert!(parse(&feedback(&[0x20, 0x02], 3)).is_none());
        assert!(parse(&p[..19]).is_none());
    }

    #[test]
    fn run_lengths_wrap_at_256_like_janus() {
        // A run of 257 counts as 1.
        let p = feedback(&[0x21, 0x01, 0x20, 0x01, 9, 9], 2);
        assert_eq!(parse(&p).unwrap().packets().count(), 2);
    }
}

#[cfg(test)]
mod build_tests {
    use super::*;

    /// Packets from `first` on, `None` for the lost ones.
    fn arrivals(first: u32, times: &[Option<u64>]) -> Vec<Arrival> {
        times.iter().enumerate().map(|(i, t)| Arrival { seq: first + i as u32, arrival_us: t.unwrap_or(0) }).collect()
    }

    fn built(packets: &[Arrival], count: u8) -> Vec<u8> {
        let mut out = [0xeeu8; 1300];
        let n = build(&mut out, 0x1122_3344, 0x5566_7788, count, packets).unwrap();
        out[..n].to_vec()
    }

    fn header(words: u8, base: u16, status_count: u16, reference: [u8; 3], count: u8) -> Vec<u8> {
        let mut h = vec![0x8f, 205, 0, words, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
        h.extend_from_slice(&base.to_be_bytes());
        h.extend_from_slice(&status_count.to_be_bytes());
        h.extend_from_slice(&reference);
        h.push(count);
        h
    }

    #[test]
    fn a_run_of_small_deltas() {
        // Reference time 10 (640 ms): deltas 1000, 1000, 500, 500, 250 µs.
        let p = arrivals(100, &[Some(641_000), Some(642_000), Some(642_500), Some(643_000), Some(643_250)]);
        let mut expected = header(6, 100, 5, [0, 0, 10], 7);
        expected.extend_from_slice(&[0x20, 0x05, 4, 4, 2, 2, 1, 0]);
        assert_eq!(built(&p, 7), expected);
    }

    #[test]
    fn losses_in_a_one_bit_vector() {
        // Received, lost, received, received, lost; the last delta rounds down to 0.
        let p = arrivals(1, &[Some(128_500), None, Some(129_000), Some(129_100), None]);
        let mut expected = header(6, 1, 5, [0, 0, 2], 0);
        expected.extend_from_slice(&[0xac, 0x00, 2, 2, 0, 0, 0, 0]);
        assert_eq!(built(&p, 0), expected);
    }

    #[test]
    fn a_negative_delta_in_a_two_bit_vector() {
        // The second packet arrived 500 µs before the first: -2, on two bytes.
        let p = arrivals(0xfffe, &[Some(194_500), Some(194_000), None, Some(195_000)]);
        let mut expected = header(6, 0xfffe, 4, [0, 0, 3], 9);
        expected.extend_from_slice(&[0xd8, 0x40, 10, 0xff, 0xfe, 4, 0, 0]);
        assert_eq!(built(&p, 9), expected);
    }

    #[test]
    fn a_full_two_bit_vector_then_a_run() {
        // Seven mixed statuses with a large delta (75 ms) go out as soon as they are
        // seven; the last one alone is a run of one.
        let p = arrivals(10, &[Some(320_000), None, Some(320_250), None, Some(320_500), None, Some(395_500), Some(395_750)]);
        let mut expected = header(7, 10, 8, [0, 0, 5], 1);
        expected.extend_from_slice(&[0xd1, 0x12, 0x20, 0x01, 0, 1, 1, 0x01, 0x2c, 1, 0, 0]);
        assert_eq!(built(&p, 1), expected);
    }

    #[test]
    fn a_run_ended_by_a_large_delta_and_a_full_one_bit_vector() {
        // Nine small deltas make a run once a large one follows.
        let mut times: Vec<Option<u64>> = (0..9).map(|i| Some(64_000 + i * 250)).collect();
        times.push(Some(64_000 + 8 * 250 + 100_000));
        let p = arrivals(0, &times);
        let mut expected = header(8, 0, 10, [0, 0, 1], 2);
        expected.extend_from_slice(&[0x20, 0x09, 0x40, 0x01, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0x01, 0x90, 0]);
        assert_eq!(built(&p, 2), expected);
        // Fourteen alternating statuses: one 1-bit vector.
        let times: Vec<Option<u64>> = (0..14).map(|i| (i % 2 == 0).then_some(64_000 * 3 + i * 250)).collect();
        let mut expected = header(7, 5, 14, [0, 0, 3], 3);
        expected.extend_from_slice(&[0xaa, 0xaa, 0, 2, 2, 2, 2, 2, 2, 0, 0, 0]);
        assert_eq!(built(&arrivals(5, &times), 3), expected);
    }

    #[test]
    fn nothing_received_and_short_buffers() {
        // All lost: a run of not-received, no reference time, no deltas.
        let p = arrivals(7, &[None, None, None]);
        let mut expected = header(5, 7, 3, [0, 0, 0], 4);
        expected.extend_from_slice(&[0x00, 0x03, 0, 0]);
        assert_eq!(built(&p, 4), expected);
        assert_eq!(build(&mut [0; 64], 1, 2, 0, &[]), None);
        let p = arrivals(1, &[Some(1_000), Some(2_000)]);
        assert_eq!(build(&mut [0; 23], 1, 2, 0, &p), None);
        assert_eq!(build(&mut [0; 24], 1, 2, 0, &p), Some(24));
    }

    #[test]
    fn reference_time_keeps_23_bits_and_huge_deltas_are_capped() {
        // A delta of 0 then one of 10000 s: a 2-bit vector (small, large), the large delta
        // capped at 0x7fff.
        let first = ((1u64 << 23) | 5) * 64_000;
        let p = arrivals(1, &[Some(first), Some(first + 10_000_000_000)]);
        let mut expected = header(6, 1, 2, [0, 0, 5], 0);
        expected.extend_from_slice(&[0xd8, 0x00, 0x00, 0x7f, 0xff, 0, 0, 0]);
        assert_eq!(built(&p, 0), expected);
    }

    #[test]
    fn long_runs_keep_13_bits() {
        // 300 packets at the same time: a run of 300 (which Janus' parser, counting runs
        // in 8 bits, would misread).
        let p = arrivals(3, &[Some(70_000); 300]);
        let bytes = built(&p, 0);
        assert_eq!(bytes[20..24], [0x21, 0x2c, 24, 0]);
        assert_eq!(bytes.len(), 20 + 2 + 300 + 2);
    }

    /// A pseudo-random list of 400 packets: losses, reordering, gaps of all sizes.
    fn scrambled() -> Vec<Arrival> {
        let mut state = 0x2545_f491u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut t = 5_000_000u64;
        (0..400u32)
            .map(|i| {
                let r = next();
                t = match r % 16 {
                    0 => t - 3_000,
                    1 => t + 200_000,
                    _ => t + u64::from(r % 20_000),
                };
                Arrival { seq: 0xff00 + i, arrival_us: if r % 7 == 0 { 0 } else { t } }
            })
            .collect()
    }

    #[test]
    fn round_trips_through_the_parser() {
        for packets in [scrambled(), scrambled()[..37].to_vec(), arrivals(3, &[Some(70_000); 250])] {
            let bytes = built(&packets, 200);
            assert_eq!(bytes.len() % 4, 0);
            let fb = parse(&bytes).unwrap();
            assert_eq!((fb.base_seq, fb.status_count, fb.fb_pkt_count), (packets[0].seq as u16, packets.len() as u16, 200));
            let got: Vec<PacketStatus> = fb.packets().collect();
            let reference = packets.iter().find(|p| p.arrival_us != 0).unwrap().arrival_us / 64_000;
            assert_eq!(fb.reference_time as u64, reference & 0x7f_ffff);
            let expected: Vec<PacketStatus> = packets
                .iter()
                .zip(Deltas::new(&packets, reference))
                .map(|(p, (status, delta))| PacketStatus {
                    seq: p.seq as u16,
                    status,
                    // The parser reads 2-byte deltas as unsigned, as Janus does.
                    delta_us: match status {
                        STATUS_SMALL_DELTA => delta as u32 * 250,
                        STATUS_LARGE_OR_NEGATIVE_DELTA => u32::from(delta.clamp(-32768, 32767) as i16 as u16) * 250,
                        _ => 0,
                    },
                })
                .collect();
            // The parser stops when the deltas run out: trailing losses are not listed.
            let listed = expected.iter().rposition(|s| s.status != STATUS_NOT_RECEIVED).map_or(0, |i| i + 1);
            assert_eq!(got[..listed], expected[..listed]);
        }
    }

    fn feedbacks(recorder: &mut Recorder) -> Vec<(u8, Vec<Arrival>)> {
        let mut out = Vec::new();
        recorder.feedback(|batch, count| out.push((count, batch.to_vec())));
        out
    }

    fn seqs(batch: &[Arrival]) -> Vec<(u32, bool)> {
        batch.iter().map(|a| (a.seq, a.arrival_us != 0)).collect()
    }

    #[test]
    fn recorder_extends_sorts_and_fills_gaps() {
        let mut r = Recorder::default();
        assert!(feedbacks(&mut r).is_empty());
        // 65535 arriving after 1 is taken for the next cycle's (as Janus extends it), far
        // ahead: past the budget of missing packets, the gap ends the feedback instead.
        for (seq, t) in [(65534u16, 10), (1, 30), (65535, 20)] {
            r.record(seq, t);
        }
        let fb = feedbacks(&mut r);
        assert_eq!(fb.len(), 2);
        assert_eq!((fb[0].0, seqs(&fb[0].1)), (0, vec![(65534, true), (65535, false), (65536, false), (65537, true)]));
        assert_eq!((fb[1].0, seqs(&fb[1].1)), (1, vec![(131071, true)]));
        let mut r = Recorder::default();
        for (seq, t) in [(65534u16, 10), (65535, 20), (2, 30), (1, 25), (2, 31)] {
            r.record(seq, t);
        }
        let fb = feedbacks(&mut r);
        assert_eq!(fb.len(), 1);
        // 65536 missing, 65537 and 65538 reordered, the duplicate listed twice (latest first).
        assert_eq!(seqs(&fb[0].1), [(65534, true), (65535, true), (65536, false), (65537, true), (65538, true), (65538, true)]);
        assert_eq!(fb[0].1[4].arrival_us, 31);
        // Next round: what is older than the last reported is dropped, the gap since is lost.
        for (seq, t) in [(1u16, 40), (6, 50)] {
            r.record(seq, t);
        }
        let fb = feedbacks(&mut r);
        assert_eq!(fb.len(), 1);
        assert_eq!(fb[0].0, 1);
        assert_eq!(seqs(&fb[0].1), [(65539, false), (65540, false), (65541, false), (65542, true)]);
    }

    #[test]
    fn recorder_splits_long_lists_and_keeps_the_latest() {
        let mut r = Recorder::default();
        for seq in 1..=1000u16 {
            r.record(seq, u64::from(seq) * 1000);
        }
        let fb = feedbacks(&mut r);
        let sizes: Vec<(u8, usize, u32)> = fb.iter().map(|(c, b)| (*c, b.len(), b[0].seq)).collect();
        assert_eq!(sizes, [(0, 400, 1), (1, 400, 401), (2, 200, 801)]);
        // More than the ring holds between two feedbacks: the oldest are gone, reported lost.
        for seq in 1001..=1000 + RECORDER_CAPACITY as u16 + 100 {
            r.record(seq, u64::from(seq) * 1000);
        }
        let fb = feedbacks(&mut r);
        let all: Vec<(u32, bool)> = fb.iter().flat_map(|(_, b)| seqs(b)).collect();
        assert_eq!(all.len(), RECORDER_CAPACITY + 100);
        assert!(all[..100].iter().all(|(_, received)| !received));
        assert!(all[100..].iter().all(|(_, received)| *received));
        assert_eq!(fb.first().map(|f| f.0), Some(3));
    }
}
