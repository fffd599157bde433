mod ingest;
mod sketch_store;
