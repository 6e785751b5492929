import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../../../extension/core/errors';
import { FORMAT_IDS, FORMATS, isFormatId, parseFormats } from '../../../extension/core/quant/formats';

describe('quant/formats registry', () => {
  it('has one entry per id of FORMULAS.md §C, keyed by its own id', () => {
    assert.equal(FORMAT_IDS.length, 17);
    for (const id of FORMAT_IDS) assert.equal(FORMATS[id].id, id);
    assert.deepEqual(Object.keys(FORMATS).sort(), [...FORMAT_IDS].sort());
  });

  it('records family, element bits, block size and effective bits', () => {
    assert.deepEqual(
      [FORMATS.int4.family, FORMATS.int4.bits, FORMATS.int4.blockSize, FORMATS.int4.granularity],
      ['int', 4, null, 'per-channel'],
    );
    assert.equal(FORMATS.int8_asym_per_tensor.granularity, 'per-tensor');
    assert.deepEqual([FORMATS.fp8_e5m2.family, FORMATS.fp8_e5m2.granularity], ['fp8', 'per-tensor']);
    assert.deepEqual([FORMATS.mxfp6_e3m2.family, FORMATS.mxfp6_e3m2.bits, FORMATS.mxfp6_e3m2.blockSize], ['mx', 6, 32]);
    assert.equal(FORMATS.mxfp4.effectiveBits, 4.25);
    assert.equal(FORMATS.nvfp4.effectiveBits, 4.5);
    assert.equal(FORMATS.nvfp4.blockSize, 16);
  });
});

describe('quant/parseFormats', () => {
  it('parses a comma list and an array, trims, drops duplicates, keeps order', () => {
    assert.deepEqual(parseFormats(' mxfp4, int8 ,mxfp4'), ['mxfp4', 'int8']);
    assert.deepEqual(parseFormats(['nvfp4', 'fp8_e4m3']), ['nvfp4', 'fp8_e4m3']);
  });

  it('expands "all" to every id', () => {
    assert.deepEqual(parseFormats('all'), [...FORMAT_IDS]);
    assert.deepEqual(parseFormats('int4,all').slice(0, 2), ['int4', 'int8']);
  });

  it('rejects an unknown name with a BadInputError that lists the valid ids', () => {
    assert.throws(
      () => parseFormats('int8,fp4'),
      (e: unknown) =>
        e instanceof BadInputError &&
        e.code === 'quant.unknown-format' &&
        e.message.includes('"fp4"') &&
        e.message.includes('mxfp6_e2m3') &&
        e.message.startsWith('--formats:'),
    );
    assert.throws(() => parseFormats('INT8'), { code: 'quant.unknown-format' });
  });

  it('rejects an empty list', () => {
    assert.throws(() => parseFormats(' , '), { code: 'quant.no-formats' });
    assert.throws(() => parseFormats([], 'spec field "formats"'), /spec field "formats": no format given/);
  });

  it('isFormatId does not accept prototype keys', () => {
    assert.equal(isFormatId('toString'), false);
    assert.equal(isFormatId('mxint8'), true);
  });
});
