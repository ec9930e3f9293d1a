//! The negotiated SRTP protection profile and the master keys DTLS-SRTP exports for it
//! (RFC 5764 section 4.2), split into ours and the peer's as Janus' `dtls.c` does.

use std::fmt;

/// The DTLS-SRTP protection profiles Janus offers (`SSL_CTX_set_tlsext_use_srtp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    Aes128CmSha1_80,
    Aes128CmSha1_32,
    AeadAes128Gcm,
    AeadAes256Gcm,
}

impl Profile {
    pub const ALL: [Profile; 4] = [Profile::Aes128CmSha1_80, Profile::Aes128CmSha1_32, Profile::AeadAes128Gcm, Profile::AeadAes256Gcm];

    /// The profile of a `use_srtp` protection profile id (RFC 5764 4.1.2, RFC 7714 14.2).
    pub fn from_id(id: u16) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.id() == id)
    }

    pub fn id(self) -> u16 {
        match self {
            Profile::Aes128CmSha1_80 => 0x0001,
            Profile::Aes128CmSha1_32 => 0x0002,
            Profile::AeadAes128Gcm => 0x0007,
            Profile::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile's name as Janus reports it (`janus_get_dtls_srtp_profile`, OpenSSL's names).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Aes128CmSha1_80 => "SRTP_AES128_CM_SHA1_80",
            Profile::Aes128CmSha1_32 => "SRTP_AES128_CM_SHA1_32",
            Profile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Profile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    pub fn key_len(self) -> usize {
        match self {
            Profile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    pub fn salt_len(self) -> usize {
        match self {
            Profile::Aes128CmSha1_80 | Profile::Aes128CmSha1_32 => 14,
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 12,
        }
    }

    /// Master key plus master salt.
    pub fn master_len(self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// How many bytes to export with the "EXTRACTOR-dtls_srtp" label: both sides' master keys.
    pub fn keying_material_len(self) -> usize {
        2 * self.master_len()
    }
}

/// Our side of the DTLS handshake, which decides which half of the exported material is ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtlsRole {
    Client,
    Server,
}

const MAX_MASTER_LEN: usize = 44;

/// One direction's SRTP master key followed by its master salt, the layout libsrtp expects.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    bytes: [u8; MAX_MASTER_LEN],
    len: usize,
}

impl MasterKey {
    /// A master key for `profile`, `None` if `key` or `salt` has the wrong length.
    pub fn new(profile: Profile, key: &[u8], salt: &[u8]) -> Option<MasterKey> {
        if key.len() != profile.key_len() || salt.len() != profile.salt_len() {
            return None;
        }
        let mut bytes = [0u8; MAX_MASTER_LEN];
        bytes[..key.len()].copy_from_slice(key);
        bytes[key.len()..key.len() + salt.len()].copy_from_slice(salt);
        Some(MasterKey { bytes, len: key.len() + salt.len() })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Keys stay out of logs.
impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({} bytes)", self.len)
    }
}

/// The master keys of both directions of one DTLS-SRTP association.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKeys {
    /// Protects what we send.
    pub local: MasterKey,
    /// Verifies what the peer sends.
    pub remote: MasterKey,
}

impl SessionKeys {
    /// Splits exported keying material (client key, server key, client salt, server salt)
    /// for our `role`; `None` unless `material` is exactly `profile.keying_material_len()` long.
    pub fn from_keying_material(profile: Profile, material: &[u8], role: DtlsRole) -> Option<SessionKeys> {
        if material.len() != profile.keying_material_len() {
            return None;
        }
        let (keys, salts) = material.split_at(2 * profile.key_len());
        let (client_key, server_key) = keys.split_at(profile.key_len());
        let (client_salt, server_salt) = salts.split_at(profile.salt_len());
        let client = MasterKey::new(profile, client_key, client_salt)?;
        let server = MasterKey::new(profile, server_key, server_salt)?;
        Some(match role {
            DtlsRole::Client => SessionKeys { local: client, remote: server },
            DtlsRole::Server => SessionKeys { local: server, remote: client },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_ids_names_and_lengths() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_id(p.id()), Some(p));
        }
        assert_eq!(Profile::from_id(0x0003), None);
        assert_eq!(Profile::Aes128CmSha1_32.name(), "SRTP_AES128_CM_SHA1_32");
        assert_eq!(Profile::AeadAes256Gcm.name(), "SRTP_AEAD_AES_256_GCM");
        // SRTP_MASTER_LENGTH, SRTP_AESGCM128_MASTER_LENGTH, SRTP_AESGCM256_MASTER_LENGTH.
        assert_eq!(Profile::Aes128CmSha1_80.master_len(), 30);
        assert_eq!(Profile::AeadAes128Gcm.master_len(), 28);
        assert_eq!(Profile::AeadAes256Gcm.master_len(), 44);
        assert_eq!(Profile::AeadAes256Gcm.keying_material_len(), 88);
    }

    #[test]
    fn keying_material_splits_by_role() {
        let p = Profile::Aes128CmSha1_80;
        // Bytes numbered by position: client key 0..16, server key 16..32, salts 32..46, 46..60.
        let material: Vec<u8> = (0..60).collect();
        let client = SessionKeys::from_keying_material(p, &material, DtlsRole::Client).unwrap();
        let server = SessionKeys::from_keying_material(p, &material, DtlsRole::Server).unwrap();
        let expect = |k: std::ops::Range<u8>, s: std::ops::Range<u8>| k.chain(s).collect::<Vec<u8>>();
        assert_eq!(client.local.as_bytes(), expect(0..16, 32..46));
        assert_eq!(client.remote.as_bytes(), expect(16..32, 46..60));
        assert_eq!(server.local, client.remote);
        assert_eq!(server.remote, client.local);

        let gcm = Profile::AeadAes256Gcm;
        let material: Vec<u8> = (0..88).collect();
        let keys = SessionKeys::from_keying_material(gcm, &material, DtlsRole::Server).unwrap();
        assert_eq!(keys.local.as_bytes(), expect(32..64, 76..88));
        assert_eq!(keys.remote.as_bytes(), expect(0..32, 64..76));
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let p = Profile::AeadAes128Gcm;
        assert!(SessionKeys::from_keying_material(p, &[0; 55], DtlsRole::Client).is_none());
        assert!(SessionKeys::from_keying_material(p, &[0; 57], DtlsRole::Client).is_none());
        assert!(SessionKeys::from_keying_material(p, &[], DtlsRole::Server).is_none());
        assert!(MasterKey::new(p, &[0; 16], &[0; 14]).is_none());
        assert!(MasterKey::new(p, &[0; 32], &[0; 12]).is_none());
        assert_eq!(format!("{:?}", MasterKey::new(p, &[7; 16], &[7; 12]).unwrap()), "MasterKey(28 bytes)");
    }
}
