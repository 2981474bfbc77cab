// The library enums that command-line options take by their raw values, declared once for every command module.
import ArgumentParser
import Dedup
import Engine
import Kernels
import Pipeline

extension KVPrecision: ExpressibleByArgument {}
extension ActivationPrecision: ExpressibleByArgument {}
extension PromptPrecision: ExpressibleByArgument {}
extension KeepPolicy: ExpressibleByArgument {}
extension AssignmentMethod: ExpressibleByArgument {}
extension KMeansImplementation: ExpressibleByArgument {}
extension DatasetExportOptions.Format: ExpressibleByArgument {}
extension DatasetExportOptions.Order: ExpressibleByArgument {}
extension PackedMatrix.Precision: ExpressibleByArgument {}
extension StageName: ExpressibleByArgument {}
extension RejectionReason: ExpressibleByArgument {}
