//! Where keys and products live. One small trait per capability, so each function
//! depends only on what it uses; [`memory`] and [`dynamo`] implement all of them with
//! the same semantics, held together by the contract tests.

pub mod cursor;
pub mod dynamo;
pub mod error;
pub mod memory;
pub mod pages;
pub mod sdk;
pub mod tables;

use crate::domain::audit::KeyEvent;
use crate::domain::cascade::{CascadeJob, CascadeState, KeyRef};
use crate::domain::clock::Millis;
use crate::domain::hashing::KeyHash;
use crate::domain::key::ApiKeyRecord;
use crate::domain::limits::{
    Balance, BalanceWrite, CreditsSpend, RateLimit, RateTake, Refill, Window,
};
use crate::domain::product::Product;
use crate::store::error::StoreError;
use async_trait::async_trait;
pub use cursor::Cursor;
pub use pages::{EventPage, EventQuery, KeyPage, ListFilter, ListQuery, MAX_PAGE_SIZE};
pub(crate) use pages::{PageCollector, event_page};

/// What every store operation returns.
pub type StoreResult<T> = Result<T, StoreError>;

/// Stores new keys.
#[async_trait]
pub trait KeyWriter: Send + Sync {
    /// Stores a new key, its `created` event and, when it has credits of its own (not
    /// inherited from its creator), its balance, together or not at all. Never overwrites:
    /// an existing hash is [`StoreError::AlreadyExists`].
    async fn put_new(&self, key: &ApiKeyRecord, event: &KeyEvent) -> StoreResult<()>;
}

/// Reads keys.
#[async_trait]
pub trait KeyReader: Send + Sync {
    /// Strongly consistent read by hash: the authorizer's one read per request.
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>>;
    /// Read by public id (an index, so eventually consistent on DynamoDB).
    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>>;
}

/// Lists keys.
#[async_trait]
pub trait KeyLister: Send + Sync {
    /// One page of a subject's keys, newest first.
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage>;
    /// The keys whose `createdBy` is `creator`, of any subject, revoked ones included, as
    /// the creator index shows them (perhaps a moment old).
    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>>;
}

/// Changes a key's name, description, scopes, claims and expiration.
#[async_trait]
pub trait KeyUpdater: Send + Sync {
    /// Stores `key`'s changeable fields (and `updatedAt`) with `event` and the change of its
    /// credit balance, if any, in one step, if the stored key
    /// is neither revoked nor rerolled and its `updatedAt` is still `read_at`:
    /// [`StoreError::Changed`] otherwise, with nothing written. A missing key is
    /// [`StoreError::NotFound`]. Returns `key`.
    async fn update(
        &self,
        key: &ApiKeyRecord,
        read_at: Millis,
        event: &KeyEvent,
        balance: Option<&BalanceWrite>,
    ) -> StoreResult<ApiKeyRecord>;
}

/// Replaces a key by a new one.
#[async_trait]
pub trait KeyRerollWriter: Send + Sync {
    /// In one transaction: stores `old`'s new `expiration`, `rerolledTo` and `updatedAt` if
    /// the stored key is neither revoked nor rerolled and its `updatedAt` is still
    /// `read_at`, stores `new` (never overwriting), and both events. Otherwise nothing is
    /// written: [`StoreError::Changed`], [`StoreError::NotFound`] or
    /// [`StoreError::AlreadyExists`] (the new hash).
    async fn reroll(
        &self,
        old: &ApiKeyRecord,
        read_at: Millis,
        new: &ApiKeyRecord,
        events: [&KeyEvent; 2],
    ) -> StoreResult<()>;
}

/// Lists a key's audit events.
#[async_trait]
pub trait EventLister: Send + Sync {
    /// One page of the events of the key with this id, newest first, without those past
    /// their retention at `query.now`.
    async fn list_events(&self, key_id: &str, query: &EventQuery) -> StoreResult<EventPage>;
}

/// Revokes keys.
#[async_trait]
pub trait KeyRevoker: Send + Sync {
    /// Marks `key` revoked at `event.at` with `reason`, and stores `event`, together, if
    /// the stored key is still the version read (`updatedAt` is `key.updated_at`), on which
    /// the caller judged its authority, and that is before `event.at`, so a key's events
    /// stay in order; a key changed since (a concurrent update) is [`StoreError::Changed`],
    /// and the caller reads it again, judges again and retries with a later time.
    /// Idempotent: an already revoked key keeps its first time and reason, no event is
    /// stored, and the stored key is returned. A missing key is [`StoreError::NotFound`].
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord>;
}

/// Keeps a cascade's job on its root key's item: the keys table's stream carries a job
/// handed on to the continuation.
#[async_trait]
pub trait CascadeJournal: Send + Sync {
    /// Puts `job` on the root key's item, as `state`. With `replacing`, only while the job
    /// there is still the one with that id (a later cascade on the same root replaces an
    /// earlier one); `false` when it is not. Never changes the key itself.
    async fn save_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        state: CascadeState,
        replacing: Option<&str>,
    ) -> StoreResult<bool>;
    /// The job on a root key's item, with its state, read strongly consistent.
    async fn cascade_of(&self, root: &KeyHash) -> StoreResult<Option<(CascadeJob, CascadeState)>>;
    /// Marks `job` done and stores the root's `cascaded` event, together, while the job on
    /// the item is still `job`; `false` when it is not.
    async fn finish_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        event: &KeyEvent,
    ) -> StoreResult<bool>;
}

/// Finds the cascades waiting for a continuation: what the local server drives in place of
/// the keys table's stream. Its own trait, so no Lambda function links the `Scan` it takes.
#[async_trait]
pub trait PendingCascades: Send + Sync {
    /// The roots whose cascade was handed on (`pending`).
    async fn pending_cascades(&self) -> StoreResult<Vec<KeyHash>>;
}

/// Records when keys are used.
#[async_trait]
pub trait UsageRecorder: Send + Sync {
    /// Sets `lastUsedAt = now` unless it is already within `min_interval_ms` of now.
    /// Returns whether it wrote.
    async fn touch_last_used(
        &self,
        hash: &KeyHash,
        now: Millis,
        min_interval_ms: Millis,
    ) -> StoreResult<bool>;
}

/// Counts uses against keys' limits, each change one atomic step: concurrent requests never
/// spend one credit or one window slot twice. Counters are named by a key's limits id.
#[async_trait]
pub trait UsageLimiter: Send + Sync {
    /// Adds `cost` to `window`'s count if it stays within `limit.limit`; refused, nothing
    /// changes. A `cost` of 0 only looks: allowed while one more request would fit.
    async fn take_rate(
        &self,
        limits_id: &str,
        limit: &RateLimit,
        window: &Window,
        cost: u64,
    ) -> StoreResult<RateTake>;
    /// Spends `cost` credits as [`crate::domain::limits::decide`] says, refilling first when due.
    async fn spend_credits(
        &self,
        limits_id: &str,
        cost: u64,
        refill: Option<&Refill>,
        now: Millis,
    ) -> StoreResult<CreditsSpend>;
    /// Sets a balance, whatever it was.
    async fn set_credits(&self, limits_id: &str, balance: Balance) -> StoreResult<()>;
    /// The balance as stored, if any.
    async fn credits(&self, limits_id: &str) -> StoreResult<Option<Balance>>;
}

/// Stores products of the sample endpoint.
#[async_trait]
pub trait ProductWriter: Send + Sync {
    /// Stores a new product; never overwrites.
    async fn put_product(&self, product: &Product) -> StoreResult<()>;
}

/// What the authorizer and the verify endpoint need: one read, the throttled usage write,
/// and the limits' counters.
pub trait VerifyStore: KeyReader + UsageRecorder + UsageLimiter {}
impl<T: KeyReader + UsageRecorder + UsageLimiter + ?Sized> VerifyStore for T {}

/// What creating a key needs: the creator as stored (its limits pass on to the new key, and
/// the new key's live balance is the creator's), then the write.
pub trait CreateStore: KeyWriter + KeyReader + UsageLimiter {}
impl<T: KeyWriter + KeyReader + UsageLimiter + ?Sized> CreateStore for T {}

/// What reading a key needs: the key, and its live balance.
pub trait ReadStore: KeyReader + UsageLimiter {}
impl<T: KeyReader + UsageLimiter + ?Sized> ReadStore for T {}

/// What listing keys needs: the page, and the keys' live balances.
pub trait ListStore: KeyLister + UsageLimiter {}
impl<T: KeyLister + UsageLimiter + ?Sized> ListStore for T {}

/// What revoking one key needs: revoke it, and read it again after a concurrent change.
pub trait RevokeOneStore: KeyReader + KeyRevoker {}
impl<T: KeyReader + KeyRevoker + ?Sized> RevokeOneStore for T {}

/// What a cascade needs: the keys each key created, fresh reads, revokes, and its job.
/// All a leak report (which revokes a key's whole family) and the continuation need.
pub trait CascadeStore: RevokeOneStore + KeyLister + CascadeJournal {}
impl<T: RevokeOneStore + KeyLister + CascadeJournal + ?Sized> CascadeStore for T {}

/// What the revoke endpoint needs: find the key by id, revoke it (and with a cascade what
/// it created), and show the key's live balance.
pub trait RevokeStore: CascadeStore + UsageLimiter {}
impl<T: CascadeStore + UsageLimiter + ?Sized> RevokeStore for T {}

/// What updating a key needs: read it (and its live balance), then write it back if
/// unchanged.
pub trait UpdateStore: KeyReader + KeyUpdater + UsageLimiter {}
impl<T: KeyReader + KeyUpdater + UsageLimiter + ?Sized> UpdateStore for T {}

/// What reroll needs: read the old key, replace it, and show the new key's live balance.
pub trait RerollStore: KeyReader + KeyRerollWriter + UsageLimiter {}
impl<T: KeyReader + KeyRerollWriter + UsageLimiter + ?Sized> RerollStore for T {}

/// What listing a key's events needs: find the key, then its events.
pub trait EventStore: KeyReader + EventLister {}
impl<T: KeyReader + EventLister + ?Sized> EventStore for T {}

/// Everything key management needs; a `&dyn KeyStore` coerces to each narrower bundle.
pub trait KeyStore:
    CreateStore
    + ReadStore
    + ListStore
    + UpdateStore
    + RevokeStore
    + RerollStore
    + EventStore
    + VerifyStore
{
}
impl<T> KeyStore for T where
    T: CreateStore
        + ReadStore
        + ListStore
        + UpdateStore
        + RevokeStore
        + RerollStore
        + EventStore
        + VerifyStore
        + ?Sized
{
}

/// Everything the API stores, keys, their usage counters and products, and the cascades
/// waiting for a continuation: what the local server and the store contract tests hold.
pub trait Store: KeyStore + ProductWriter + PendingCascades {}
impl<T: KeyStore + ProductWriter + PendingCascades + ?Sized> Store for T {}
