import { MethodDetail } from '../methods/MethodDetail';
import { recipeKind } from './recipeKind';

export default function RecipeDetailPage() {
  return <MethodDetail kind={recipeKind} />;
}
