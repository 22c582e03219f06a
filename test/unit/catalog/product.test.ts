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
});
