-- V7: a base model's architecture is one the engine runs, named by its Hugging Face model_type
-- (edit-engine dev.hookline.engine.model.Architecture: gpt2, gptj, llama, mistral, qwen2).
-- Before V7 only GPT-2 checkpoints could be registered (the engine ran nothing else), so any
-- other spelling there is GPT-2's.
UPDATE base_model SET architecture = 'gpt2'
  WHERE architecture NOT IN ('gpt2', 'gptj', 'llama', 'mistral', 'qwen2');
ALTER TABLE base_model ADD CONSTRAINT base_model_architecture_supported
  CHECK (architecture IN ('gpt2', 'gptj', 'llama', 'mistral', 'qwen2'));
