import { applyChanges, categorySchema, imageUrlSchema, MAX_IMAGE_URL_LENGTH, newProductSchema, productChangesSchema } from '../../../functions/catalog/domain/product';
import { product } from '../../fakes/product-repository';

const accepts = (schema: { safeParse: (v: unknown) => { success: boolean } }, values: readonly unknown[]) => values.map((v) => schema.safeParse(v).success);

describe('product domain', () => {
  it('accepts lowercase slugs as categories and refuses anything else', () => {
    // Prepare
    const good = ['coffee', 'kitchen', 'kitchen-tools', 'a1', 'x'.repeat(40)];
    const bad = ['', 'Coffee', 'kitchen tools', 'kitchen_tools', '-coffee', 'coffee-', 'kitchen--tools', 'café', 'x'.repeat(41), 7];

    // Act
    const verdicts = [accepts(categorySchema, good), accepts(categorySchema, bad)];

    // Assess
    expect(verdicts).toEqual([good.map(() => true), bad.map(() => false)]);
  });

  it('accepts absolute https image URLs of bounded length and refuses http, relative, credentialed or odd ones', () => {
    // Prepare
    const base = 'https://img.example.com/';
    const good = [`${base}mug.jpg`, 'https://cdn.example.co.uk/a/b.png?w=400#x', `${base}${'a'.repeat(MAX_IMAGE_URL_LENGTH - base.length)}`];
    const bad = [
      'http://img.example.com/mug.jpg',
      '//img.example.com/mug.jpg',
      '/mug.jpg',
      'ftp://img.example.com/mug.jpg',
      'javascript:alert(1)',
      'data:image/png;base64,AAAA',
      'https://user:secret@img.example.com/mug.jpg',
      'https://user@img.example.com/mug.jpg',
      'https://:secret@img.example.com/mug.jpg',
      'https://localhost/mug.jpg',
      ' https://img.example.com/mug.jpg',
      'https://img.example.com/a mug.jpg',
      `${base}${'a'.repeat(MAX_IMAGE_URL_LENGTH - base.length + 1)}`,
      'not a url',
    ];

    // Act
    const verdicts = [accepts(imageUrlSchema, good), accepts(imageUrlSchema, bad)];

    // Assess
    expect(verdicts).toEqual([good.map(() => true), bad.map(() => false)]);
  });

  it('requires a category on create and takes an image URL optionally', () => {
    // Prepare
    const fields = { name: 'Tea', price: { amount: 499, currency: 'EUR' } };

    // Act
    const withoutCategory = newProductSchema.safeParse(fields);
    const withCategory = newProductSchema.safeParse({ ...fields, category: 'tea' });

    // Assess
    expect(withoutCategory.success).toBe(false);
    expect(withoutCategory.error?.issues.map((i) => i.path.join('.'))).toEqual(['category']);
    expect(withCategory.data).toEqual({ ...fields, category: 'tea', description: '' });
  });

  it('changes only the fields given, removes the image on null, and refuses a null category', () => {
    // Prepare
    const current = product({ imageUrl: 'https://img.example.com/mug.jpg' });

    // Act
    const recategorized = applyChanges(current, productChangesSchema.parse({ category: 'coffee' }), '2026-02-02T00:00:00.000Z');
    const imageless = applyChanges(current, productChangesSchema.parse({ imageUrl: null }), '2026-02-02T00:00:00.000Z');
    const nullCategory = productChangesSchema.safeParse({ category: null });

    // Assess
    expect(recategorized).toEqual({ ...current, category: 'coffee', updatedAt: '2026-02-02T00:00:00.000Z' });
    expect(imageless).not.toHaveProperty('imageUrl');
    expect(imageless).toMatchObject({ name: current.name, category: current.category, price: current.price });
    expect(nullCategory.success).toBe(false);
  });

  it('trims names and descriptions and bounds them: 1-200 and at most 2,000 characters, on create and on change', () => {
    // Prepare
    const fields = { category: 'tea', price: { amount: 499, currency: 'EUR' } };
    const named = (name: string, description?: string) => ({ ...fields, name, ...(description === undefined ? {} : { description }) });

    // Act
    const created = newProductSchema.safeParse(named('  Green tea  ', '  Loose leaf.  '));
    const longest = [newProductSchema.safeParse(named('n'.repeat(200), 'd'.repeat(2000))), productChangesSchema.safeParse({ name: 'n'.repeat(200), description: 'd'.repeat(2000) })];
    const tooLong = [
      newProductSchema.safeParse(named('n'.repeat(201))),
      newProductSchema.safeParse(named('Tea', 'd'.repeat(2001))),
      productChangesSchema.safeParse({ name: 'n'.repeat(201) }),
      productChangesSchema.safeParse({ description: 'd'.repeat(2001) }),
    ];
    const blank = [newProductSchema.safeParse(named('   ')), productChangesSchema.safeParse({ name: '   ' })];
    const changed = productChangesSchema.safeParse({ name: '  Black tea ', description: ' Strong. ' });

    // Assess
    expect(created.data).toMatchObject({ name: 'Green tea', description: 'Loose leaf.' });
    expect(longest.map((r) => r.success)).toEqual([true, true]);
    expect(tooLong.map((r) => r.error?.issues.map((i) => i.path.join('.')))).toEqual([['name'], ['description'], ['name'], ['description']]);
    expect(blank.map((r) => r.success)).toEqual([false, false]);
    expect(changed.data).toEqual({ name: 'Black tea', description: 'Strong.' });
  });

  it('changes the description and the image when sent', () => {
    const current = product({ imageUrl: 'https://img.example.com/mug.jpg' });
    const changed = applyChanges(
      current,
      productChangesSchema.parse({ description: 'Now bigger.', imageUrl: 'https://img.example.com/mug-2.jpg' }),
      '2026-02-02T00:00:00.000Z',
    );
    expect(changed).toEqual({ ...current, description: 'Now bigger.', imageUrl: 'https://img.example.com/mug-2.jpg', updatedAt: '2026-02-02T00:00:00.000Z' });
  });

  it('tells an admin in each refusal what is expected', () => {
    const messages = (result: { error?: { issues: ReadonlyArray<{ message: string }> } }) => result.error?.issues.map((i) => i.message).join(' ');
    expect(messages(categorySchema.safeParse('Kitchen Tools'))).toContain('lowercase slug');
    expect(messages(imageUrlSchema.safeParse('https://img.example.com/a mug.jpg'))).toContain('whitespace');
    expect(messages(imageUrlSchema.safeParse('http://img.example.com/mug.jpg'))).toContain('https');
    expect(messages(productChangesSchema.safeParse({}))).toContain('name, description, category, imageUrl, price');
  });
});
