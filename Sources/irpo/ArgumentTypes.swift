import ArgumentParser
import IRPOModel
import IRPOTraining

// The closed sets of training settings are read from flags with the same types the run config
// uses, so a flag's help and errors list exactly the values the config accepts.

extension NLLNormalization: ExpressibleByArgument {}

extension LearningRateSchedule.Kind: ExpressibleByArgument {}

extension DecodeWeightFormat: ExpressibleByArgument {}
