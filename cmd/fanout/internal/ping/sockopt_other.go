//go:build !linux

package ping

import "errors"

func setRcvBufForce(uintptr, int) error { return errors.New("SO_RCVBUFFORCE is Linux only") }
