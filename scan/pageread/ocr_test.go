package pageread

import (
	"image"
	"testing"

	"github.com/otiai10/gosseract/v2"

	"folio/app"
)

// TestUprightTurn lays two lines of an upright 1000×800 page every way up,
// as Tesseract reports them for a page lying so, and checks that the turn
// told from the words sets the page right, and that the words turned with
// it land where they stand on the upright page.
func TestUprightTurn(t *testing.T) {
	const w, h = 1000, 800
	var upright []app.Word
	for line := range 2 {
		for i := range 4 {
			upright = append(upright, app.Word{Text: "w", X: 100 + 120*i, Y: 50 + 40*line, W: 100, H: 20})
		}
	}
	for _, turn := range []int{0, 90, 180, 270} {
		lying := make([]app.Word, len(upright))
		boxes := make([]gosseract.BoundingBox, len(upright))
		for i, u := range upright {
			x, y, bw, bh := turnBox(u.X, u.Y, u.W, u.H, (360-turn)%360, w, h)
			lying[i] = app.Word{Text: u.Text, X: x, Y: y, W: bw, H: bh}
			boxes[i] = gosseract.BoundingBox{Box: image.Rect(x, y, x+bw, y+bh), Word: u.Text, BlockNum: 1, ParNum: 1, LineNum: 1 + i/4}
		}
		if got := uprightTurn(boxes); got != turn {
			t.Errorf("a page that a %d° turn sets right: uprightTurn = %d", turn, got)
		}
		lw, lh := w, h
		if turn == 90 || turn == 270 {
			lw, lh = h, w
		}
		turnWords(lying, turn, lw, lh)
		for i := range upright {
			if lying[i] != upright[i] {
				t.Errorf("turn %d: word %d lands at %+v, want %+v", turn, i, lying[i], upright[i])
				break
			}
		}
	}
	// Too few neighbours to tell: taken as upright.
	few := []gosseract.BoundingBox{
		{Box: image.Rect(500, 50, 600, 70), BlockNum: 1, ParNum: 1, LineNum: 1},
		{Box: image.Rect(300, 50, 400, 70), BlockNum: 1, ParNum: 1, LineNum: 1},
	}
	if got := uprightTurn(few); got != 0 {
		t.Errorf("one pair of words: uprightTurn = %d, want 0", got)
	}
}
