package postgres_test

import (
	"testing"

	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
