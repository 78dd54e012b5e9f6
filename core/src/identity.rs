//! Identities: a member is an Ed25519 key pair.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::error::KeyError;
use crate::ids::MemberId;

/// A member's key pair. It signs every change the member makes.
///
/// The public half is the member's [`MemberId`]. The secret half can be exported with
/// [`secret_bytes`](Identity::secret_bytes) and re-imported with
/// [`from_secret_bytes`](Identity::from_secret_bytes); keep it secret.
///
/// ```
/// use cercle::Identity;
/// let alice = Identity::generate();
/// let again = Identity::from_secret_bytes(alice.secret_bytes());
/// assert_eq!(alice.member_id(), again.member_id());
/// ```
#[derive(Clone)]
pub struct Identity {
    key: SigningKey,
    /// The public half, as an id (asked for at every edit).
    id: MemberId,
}

impl Identity {
    /// A new identity from the operating system's secure random source.
    pub fn generate() -> Self {
        Self::from_key(SigningKey::generate(&mut rand_core::OsRng))
    }

    /// The identity whose secret key is `bytes`.
    pub fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        Self::from_key(SigningKey::from_bytes(&bytes))
    }

    fn from_key(key: SigningKey) -> Self {
        let id = MemberId::from_bytes(key.verifying_key().to_bytes());
        Identity { key, id }
    }

    /// The identity whose secret key is `bytes`, which must be 32 bytes long.
    ///
    /// ```
    /// use cercle::Identity;
    /// assert!(Identity::from_secret_slice(&[1; 31]).is_err());
    /// ```
    pub fn from_secret_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError { len: bytes.len() })?;
        Ok(Self::from_secret_bytes(array))
    }

    /// The secret key, for storage by the application.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The member id (public key) of this identity.
    pub fn member_id(&self) -> MemberId {
        self.id
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("member_id", &self.member_id())
            .finish_non_exhaustive()
    }
}

/// Checks signatures, keeping each author's decoded key: decoding a key costs a fifth of
/// a verification, and a list of changes has few authors.
#[derive(Default)]
pub(crate) struct Verifier {
    keys: Vec<(MemberId, Option<VerifyingKey>)>,
}

impl Verifier {
    /// The author's key, or `None` if it is not a usable Ed25519 key (not a point, or weak).
    fn key(&mut self, author: &MemberId) -> Option<VerifyingKey> {
        if let Some((_, key)) = self.keys.iter().find(|(a, _)| a == author) {
            return *key;
        }
        let key = VerifyingKey::from_bytes(author.as_bytes())
            .ok()
            .filter(|k| !k.is_weak());
        // A handful of authors is the common case; a list with many keeps the recent ones.
        if self.keys.len() >= 64 {
            self.keys.remove(0);
        }
        self.keys.push((*author, key));
        key
    }

    /// Checks `signature` on `message` by `author`, refusing malleable signatures and weak
    /// keys.
    pub(crate) fn verify(
        &mut self,
        author: &MemberId,
        message: &[u8],
        signature: &[u8; 64],
    ) -> bool {
        let Some(key) = self.key(author) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        key.verify_strict(message, &signature).is_ok()
    }
}
