//! RED (RFC 2198) payloads: the block headers and where each block's data is, as Janus'
//! `janus_red_parse_blocks` splits them (redundant generations first, primary data last).

/// One block; `data` is its position in the payload, `None` for an empty redundant block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedBlock {
    pub pt: u8,
    pub ts_offset: u32,
    pub data: Option<(usize, usize)>,
}

/// A RED payload whose block lengths have been checked against its size.
#[derive(Clone, Copy, Debug)]
pub struct RedPayload<'a> {
    payload: &'a [u8],
    /// Number of 4-byte headers of redundant blocks.
    redundant: usize,
    /// Where the block data starts (after all headers).
    data_start: usize,
    /// Payload type of the primary block (the last header read).
    primary_pt: u8,
}

/// Parses the headers. `None` when a redundant block claims more data than is left (Janus'
/// "Broken red payload"). Like Janus, a header with F=1 but fewer than 4 bytes left is taken as
/// the primary header.
pub fn parse(payload: &[u8]) -> Option<RedPayload<'_>> {
    let (mut at, mut redundant, mut primary_pt) = (0, 0, 0);
    while at < payload.len() {
        let b = payload[at];
        primary_pt = b & 0x7f;
        if b & 0x80 != 0 && payload.len() - at > 3 {
            at += 4;
            redundant += 1;
        } else {
            at += 1;
            break;
        }
    }
    let red = RedPayload { payload, redundant, data_start: at, primary_pt };
    let needed: usize = red.headers().map(|(_, _, len)| len).sum();
    (needed <= payload.len() - at).then_some(red)
}

impl<'a> RedPayload<'a> {
    /// `(pt, ts_offset, length)` of the redundant blocks.
    fn headers(&self) -> impl Iterator<Item = (u8, u32, usize)> + 'a {
        self.payload[..4 * self.redundant].chunks_exact(4).map(|h| {
            let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            (h[0] & 0x7f, (word & 0x00ff_fc00) >> 10, (word & 0x3ff) as usize)
        })
    }

    /// The blocks in order; the primary block is there only if it has data.
    pub fn blocks(&self) -> impl Iterator<Item = RedBlock> + 'a {
        let mut at = self.data_start;
        let redundant = self.headers().map(move |(pt, ts_offset, len)| {
            let data = (len > 0).then_some((at, len));
            at += len;
            RedBlock { pt, ts_offset, data }
        });
        let primary_start = self.data_start + self.headers().map(|(_, _, len)| len).sum::<usize>();
        let primary_len = self.payload.len() - primary_start;
        let primary = (primary_len > 0).then_some(RedBlock { pt: self.primary_pt, ts_offset: 0, data: Some((primary_start, primary_len)) });
        redundant.chain(primary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(p: &[u8]) -> Option<Vec<RedBlock>> {
        parse(p).map(|r| r.blocks().collect())
    }

    #[test]
    fn redundant_and_primary_blocks() {
        // pt 111, ts offset 960, 3 bytes; empty block pt 111; primary pt 111, 2 bytes.
        let p = [0xef, 0x0f, 0x00, 0x03, 0xef, 0x00, 0x00, 0x00, 0x6f, 1, 2, 3, 4, 5];
        assert_eq!(
            blocks(&p).unwrap(),
            vec![
                RedBlock { pt: 111, ts_offset: 960, data: Some((9, 3)) },
                RedBlock { pt: 111, ts_offset: 0, data: None },
                RedBlock { pt: 111, ts_offset: 0, data: Some((12, 2)) },
            ]
        );
    }

    #[test]
    fn primary_only_and_edge_cases() {
        assert_eq!(blocks(&[0x6f, 9]).unwrap(), vec![RedBlock { pt: 111, ts_offset: 0, data: Some((1, 1)) }]);
        assert_eq!(blocks(&[0x6f]).unwrap(), vec![]);
        assert_eq!(blocks(&[]).unwrap(), vec![]);
        // A block longer than what is left: broken.
        assert!(blocks(&[0xef, 0, 0, 9, 0x6f, 1]).is_none());
        // F=1 with under 4 bytes left is the primary header.
        assert_eq!(blocks(&[0xe0, 1, 2]).unwrap(), vec![RedBlock { pt: 0x60, ts_offset: 0, data: Some((1, 2)) }]);
        // Only redundant headers, no primary header: the last one's pt and no data.
        assert_eq!(blocks(&[0xe0, 0, 0, 0]).unwrap(), vec![RedBlock { pt: 0x60, ts_offset: 0, data: None }]);
    }
}
