-- V8: a base model's edit defaults (per method, the hyperparameters a batch on this model takes where it
-- names none, e.g. a nearest-key threshold chosen on the model's own dev stream), and on each batch the
-- snapshot of those defaults it was submitted under (what the worker runs, so a batch's inputs never change
-- after submission). '{}' / NULL: none (older batches ran under the methods' own defaults).
ALTER TABLE base_model ADD COLUMN edit_defaults_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE edit_batch ADD COLUMN model_defaults_json TEXT;
