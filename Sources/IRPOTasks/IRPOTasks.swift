/// Reasoning datasets, prompts, answer extraction and rewards.
public enum IRPOTasks {}
