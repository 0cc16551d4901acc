-- Editor worker additions.
-- Model builds: a base model being pretrained before it exists in the registry (`./hookline up`
-- on an empty data directory builds the demo-world model), with the progress the building worker
-- reports. One row per model name; model_id is set once the model is registered.
CREATE TABLE model_build (
  name        TEXT        PRIMARY KEY,
  preset      TEXT,
  status      TEXT        NOT NULL CHECK (status IN ('PRETRAINING', 'REGISTERING', 'READY', 'FAILED')),
  phase       TEXT,
  percent     INT         NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
  message     TEXT,
  model_id    BIGINT      REFERENCES base_model(id),
  started_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL,
  updated_by  TEXT        NOT NULL
);
