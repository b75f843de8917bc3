import type { DoctorReport } from '../doctor/doctor';

/** Renders the doctor report as aligned plain text for a terminal. */
export function formatDoctor(report: DoctorReport): string {
  const lines = [
    `bn-suite ${report.bnSuiteVersion}`,
    `node     ${report.node} (${report.platform}/${report.arch})`,
    'tfjs packages:',
    ...Object.entries(report.tfjs).map(([name, version]) => `  ${name.padEnd(30)} ${version}`),
    'backends:',
    ...report.backends.map((b) =>
      b.available
        ? `  ${b.name.padEnd(11)} available    ${b.version ?? ''}${b.device !== undefined ? `  (${b.device})` : ''}`
        : `  ${b.name.padEnd(11)} unavailable  ${b.kind}: ${b.reason}`,
    ),
  ];
  if (report.wasm !== null) lines.push(`wasm     simd=${report.wasm.simd} threads=${report.wasm.threads}`);
  else if (report.backends.some((b) => b.name === 'wasm' && b.available)) {
    lines.push(`wasm     simd/threads not reported: tfjs-core ${report.tfjs['@tensorflow/tfjs-core']} cannot say (env().getAsync came with tfjs 2.x)`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
