import SemiInstructCLI

await SemiInstruct.runFromCommandLine()
