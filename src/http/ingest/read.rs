//! Reading a request body as it arrives, chunk by chunk, within `INGEST_MAX_BODY`:
//! the parsers count ids as they go, so a request over `INGEST_MAX_IDS` is refused
//! at the first id too many, and the rest of its body is never read nor held.

use super::body::{Batch, LineReader, read_json};
use super::{Refusal, bad, refuse};
use crate::config::IngestConfig;
use axum::body::{Body, BodyDataStream, Bytes};
use axum::http::StatusCode;
use futures::StreamExt;
use std::io::{self, BufReader, Read};
use tokio::sync::mpsc;

/// Newline-delimited ids (plain or NDJSON), parsed as the chunks arrive.
pub(super) async fn lines(
    body: Body,
    json: bool,
    config: &IngestConfig,
) -> Result<Vec<String>, Refusal> {
    let mut reader = LineReader::new(json, config.max_ids);
    let mut chunks = Chunks::new(body, config.max_body);
    while let Some(chunk) = chunks.next().await? {
        reader.feed(&chunk)?;
    }
    reader.finish()
}

/// A JSON body. serde_json parses from a blocking reader, so the parser runs on a
/// blocking thread and this task hands it the chunks as they arrive (a few at a
/// time: the channel is short). Whichever ends first decides: the parser (too many
/// ids, bad JSON: the rest of the body is never read), or the body (its end, or
/// it being too large).
pub(super) async fn json(body: Body, config: &IngestConfig) -> Result<Batch, Refusal> {
    let (chunks_in, chunks_out) = mpsc::channel::<Bytes>(2);
    let max_ids = config.max_ids;
    let mut parser = tokio::task::spawn_blocking(move || {
        read_json(BufReader::new(ChannelReader::new(chunks_out)), max_ids)
    });
    let mut chunks = Chunks::new(body, config.max_body);
    // Owns the sender: when this ends, the parser sees the end of the body.
    let feeding = async move {
        while let Some(chunk) = chunks.next().await? {
            if chunks_in.send(chunk).await.is_err() {
                break; // the parser has its answer already
            }
        }
        Ok::<(), Refusal>(())
    };
    tokio::pin!(feeding);
    let parsed = tokio::select! {
        parsed = &mut parser => parsed,
        fed = &mut feeding => {
            fed?;
            parser.await
        }
    };
    parsed.map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, None, "ingest failed"))?
}

/// The body's chunks, refusing it once it is over `max` bytes.
struct Chunks {
    stream: BodyDataStream,
    read: usize,
    max: usize,
}

impl Chunks {
    fn new(body: Body, max: usize) -> Self {
        Self {
            stream: body.into_data_stream(),
            read: 0,
            max,
        }
    }

    async fn next(&mut self) -> Result<Option<Bytes>, Refusal> {
        match self.stream.next().await {
            None => Ok(None),
            Some(Err(_)) => Err(bad("body", "the body could not be read")),
            Some(Ok(chunk)) => {
                self.read += chunk.len();
                if self.read > self.max {
                    return Err(body_too_large(self.max));
                }
                Ok(Some(chunk))
            }
        }
    }
}

pub(super) fn body_too_large(max: usize) -> Refusal {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        Some("body"),
        format!("the body is larger than {max} bytes"),
    )
}

/// A blocking `Read` over the chunks this module's async side sends; the end of
/// the body is the channel closing.
struct ChannelReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChannelReader {
    fn new(chunks: mpsc::Receiver<Bytes>) -> Self {
        Self {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
