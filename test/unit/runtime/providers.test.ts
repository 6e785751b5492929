import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoProviders, parseProviderSetting, providerPrecheck, requestedProviders } from '../../../extension/core/runtime/providers';
import { BadInputError } from '../../../extension/core/errors';

test('auto order per platform follows DESIGN.md §6', () => {
  assert.deepEqual(autoProviders('linux', 'x64'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(autoProviders('win32', 'x64'), ['dml', 'webgpu', 'cpu']);
  assert.deepEqual(autoProviders('darwin', 'arm64'), ['coreml', 'webgpu', 'cpu']);
  assert.deepEqual(autoProviders('freebsd', 'x64'), ['cpu']);
});

test('settings parse from "auto", comma lists and arrays', () => {
  assert.equal(parseProviderSetting(undefined), 'auto');
  assert.equal(parseProviderSetting('auto'), 'auto');
  assert.equal(parseProviderSetting(['auto']), 'auto');
  assert.deepEqual(parseProviderSetting('webgpu, cpu'), ['webgpu', 'cpu']);
  assert.deepEqual(parseProviderSetting(['cuda', 'cpu']), ['cuda', 'cpu']);
  assert.deepEqual(requestedProviders(['cpu']), ['cpu']);
});

test('unknown providers are bad input naming the source and the valid names', () => {
  assert.throws(() => parseProviderSetting('tpu', '--ep'), (e: unknown) => e instanceof BadInputError && e.code === 'runtime.bad-ep' && /--ep: unknown execution provider "tpu"; valid: auto, cuda, webgpu, dml, coreml, cpu/.test(e.message));
  assert.throws(() => parseProviderSetting([]), BadInputError);
  assert.throws(() => parseProviderSetting(42), BadInputError);
});

test('prechecks skip providers that cannot exist here, with a reason', () => {
  assert.equal(providerPrecheck('cpu', null), null);
  if (process.platform === 'linux') {
    assert.match(providerPrecheck('dml', null) ?? '', /Windows only/);
    assert.match(providerPrecheck('coreml', null) ?? '', /macOS only/);
    assert.match(providerPrecheck('cuda', '/nonexistent-dir') ?? '', /provider libraries not installed/);
  }
});
