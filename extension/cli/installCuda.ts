/** `bias-inspector install-cuda`: downloads onnxruntime's CUDA provider for the bundled runtime. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { InspectorError, bundledRuntime, installCudaProvider, userDataDir } from '../core/analyze';
import { printText } from './output';
import { stderrProgress } from './progress';

export function registerInstallCuda(program: Command): void {
  program.command('install-cuda')
    .description(`download onnxruntime's CUDA provider libraries (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux, same version as the bundled onnxruntime-node; linux-x64) into a user folder; runs then use --ep cuda (or auto)`)
    .option('--dir <folder>', `where to install (default: ${userDataDir()}; also $BIAS_INSPECTOR_HOME)`)
    .action(async (flags: { dir?: string }) => {
      const bundled = bundledRuntime();
      if (!bundled) throw new InspectorError('runtime.unavailable', 'failure', 'onnxruntime-node is not installed beside bias-inspector, so there is no runtime to add the CUDA provider to');
      const root = flags.dir ? resolve(flags.dir) : userDataDir();
      const dir = await installCudaProvider({ root, bundledPackageDir: bundled.dir, ortVersion: bundled.version, onProgress: stderrProgress('install-cuda') });
      printText(`installed the CUDA provider for onnxruntime ${bundled.version} in ${dir}\n` +
        `${flags.dir ? `runs find it when BIAS_INSPECTOR_HOME=${root} is set\n` : ''}` +
        'it needs an NVIDIA driver with CUDA 12 and cuDNN 9 libraries on the library path; check with: bias-inspector forward <model.onnx> --ep cuda\n');
    });
}
